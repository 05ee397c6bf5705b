#define BOOST_TEST_MODULE relay_recorder
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "interceptor/tls/relay-recorder.h"

using namespace mitmlab;

namespace {

const std::string kRequest =
    "GET /feed?x=1 HTTP/1.1\r\nUser-Agent: t\r\nhost:  www.facebook.com \r\nAccept: */*\r\n"
    "\r\nbody";
const std::string kResponse = "HTTP/1.1 302 Found\r\nLocation: /\r\n\r\n";

nlohmann::json as_json(const RelayRecorder& r) {
  nlohmann::json j = r.record();
  return j;
}

}  // namespace

BOOST_AUTO_TEST_CASE(request_line_and_host_from_one_piece) {
  RelayRecorder r;
  r.on_client_to_server(as_bytes(kRequest));
  r.on_server_to_client(as_bytes(kResponse));
  const RelayRecord& rec = r.record();
  BOOST_TEST(http_head_status_name(rec.request_status) == "http");
  BOOST_TEST(rec.request_line.value_or("") == "GET /feed?x=1 HTTP/1.1");
  BOOST_TEST(rec.host.value_or("") == "www.facebook.com");
  BOOST_TEST(http_head_status_name(rec.response_status) == "http");
  BOOST_TEST(rec.status_line.value_or("") == "HTTP/1.1 302 Found");
  BOOST_TEST(rec.client_to_server_bytes == kRequest.size());
  BOOST_TEST(rec.server_to_client_bytes == kResponse.size());
}

BOOST_AUTO_TEST_CASE(every_split_point_and_byte_at_a_time_give_the_same_record) {
  RelayRecorder whole;
  whole.on_client_to_server(as_bytes(kRequest));
  whole.on_server_to_client(as_bytes(kResponse));
  nlohmann::json expected = as_json(whole);
  BOOST_TEST(expected["host"] == "www.facebook.com");

  for (std::size_t cut = 0; cut <= kRequest.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut " << cut) {
      RelayRecorder r;
      ByteView req = as_bytes(kRequest);
      ByteView resp = as_bytes(kResponse);
      std::size_t rcut = std::min(cut, resp.size());
      r.on_client_to_server(req.first(cut));
      r.on_server_to_client(resp.first(rcut));
      r.on_client_to_server(req.subspan(cut));
      r.on_server_to_client(resp.subspan(rcut));
      BOOST_TEST(as_json(r) == expected);
    }
  }
  RelayRecorder bytewise;
  for (char c : kRequest) bytewise.on_client_to_server(as_bytes(std::string_view(&c, 1)));
  for (char c : kResponse) bytewise.on_server_to_client(as_bytes(std::string_view(&c, 1)));
  BOOST_TEST(as_json(bytewise) == expected);
}

BOOST_AUTO_TEST_CASE(partial_input_stays_incomplete) {
  RelayRecorder r;
  r.on_client_to_server(as_bytes("GET /a HT"));
  BOOST_TEST(http_head_status_name(r.record().request_status) == "incomplete");
  BOOST_TEST(!r.record().request_line.has_value());
  r.on_client_to_server(as_bytes("TP/1.0\n"));  // bare LF tolerated
  BOOST_TEST(r.record().request_line.value_or("") == "GET /a HTTP/1.0");
  BOOST_TEST(!r.record().host.has_value(), "no Host header yet");
  r.on_client_to_server(as_bytes("Host: vk.com\n\n"));
  BOOST_TEST(r.record().host.value_or("") == "vk.com");
}

BOOST_AUTO_TEST_CASE(non_http_is_recognised_from_its_first_bytes) {
  const std::vector<std::string> inputs = {
      std::string("\x16\x03\x01\x02\x00", 5),  // a TLS record
      "SSH-2.0-OpenSSH_9.2\r\n",
      "GET  / HTTP/1.1\r\n",                   // two spaces
      "GET / HTTP/1.1 extra\r\n",
      "GET / FTP/1.1\r\n",
      std::string(33, 'A') + " / HTTP/1.1\r\n",  // longer than any method
  };
  for (const std::string& in : inputs) {
    BOOST_TEST_CONTEXT(escape_printable(as_bytes(in))) {
      RelayRecorder r;
      r.on_client_to_server(as_bytes(in));
      BOOST_TEST(http_head_status_name(r.record().request_status) == "not_http");
      BOOST_TEST(!r.record().request_line.has_value());
      r.on_client_to_server(as_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
      BOOST_TEST(!r.record().host.has_value(), "a verdict is final");
    }
  }
  RelayRecorder tls;
  tls.on_server_to_client(as_bytes(std::string("\x17\x03\x03", 3)));
  BOOST_TEST(http_head_status_name(tls.record().response_status) == "not_http");
}

BOOST_AUTO_TEST_CASE(an_overlong_first_line_is_too_long_and_counting_goes_on) {
  RelayRecorderLimits limits;
  limits.head_cap = 8192;
  RelayRecorder r(limits);
  std::string line = "GET /" + std::string(9000, 'a');
  for (std::size_t i = 0; i < line.size(); i += 1000)
    r.on_client_to_server(as_bytes(std::string_view(line).substr(i, 1000)));
  BOOST_TEST(http_head_status_name(r.record().request_status) == "too_long");
  BOOST_TEST(!r.record().request_line.has_value());
  BOOST_TEST(r.record().client_to_server_bytes == line.size());
  r.on_client_to_server(as_bytes(" HTTP/1.1\r\n"));
  BOOST_TEST(http_head_status_name(r.record().request_status) == "too_long");

  // A line that fits, then headers that do not: the Host past the cap is not looked for.
  RelayRecorder late;
  late.on_client_to_server(as_bytes("GET / HTTP/1.1\r\nX-Pad: " + std::string(9000, 'p') +
                                    "\r\nHost: late.kz\r\n\r\n"));
  BOOST_TEST(late.record().request_line.value_or("") == "GET / HTTP/1.1");
  BOOST_TEST(!late.record().host.has_value());
}

BOOST_AUTO_TEST_CASE(excerpts_are_bounded_and_escaped) {
  RelayRecorderLimits limits;
  limits.excerpt_bytes = 12;
  RelayRecorder r(limits);
  std::string in = std::string("A\\\r\n\t\x00\xff", 7) + "bcdefghijk";
  r.on_client_to_server(as_bytes(in.substr(0, 3)));
  r.on_client_to_server(as_bytes(in.substr(3)));
  BOOST_TEST(r.record().client_to_server_excerpt == "A\\\\\\r\\n\\t\\x00\\xffbcdef");
  BOOST_TEST(r.record().server_to_client_excerpt.empty());
}

BOOST_AUTO_TEST_CASE(json_has_every_field_and_stays_valid_utf8) {
  RelayRecorder r;
  r.on_client_to_server(as_bytes(std::string("GET / HTTP/1.1\r\nHost: b\xff\xfe.kz\r\n\r\n")));
  nlohmann::json j = r.record();
  BOOST_TEST(j["request_status"] == "http");
  BOOST_TEST(j["request_line"] == "GET / HTTP/1.1");
  BOOST_TEST(j["host"] == "b\\xff\\xfe.kz");
  BOOST_TEST(j["response_status"] == "incomplete");
  BOOST_TEST(j["status_line"].is_null());
  BOOST_TEST(j["client_to_server_bytes"] == 32);  // 16 + 14 + 2
  BOOST_TEST(j["server_to_client_bytes"] == 0);
  BOOST_TEST(j.contains("client_to_server_excerpt"));
  BOOST_TEST(j["server_to_client_excerpt"] == "");
  BOOST_CHECK_NO_THROW(j.dump());  // nlohmann throws on invalid UTF-8
  BOOST_TEST(j.size() == 9u);
}

BOOST_AUTO_TEST_CASE(http2_preface_reads_as_a_request_line_without_host) {
  RelayRecorder r;
  r.on_client_to_server(as_bytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"));
  BOOST_TEST(r.record().request_line.value_or("") == "PRI * HTTP/2.0");
  BOOST_TEST(!r.record().host.has_value());
}
