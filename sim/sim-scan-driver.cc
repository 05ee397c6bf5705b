#include "sim/sim-scan-driver.h"

namespace mitmlab {

SimScanDriver::SimScanDriver(ns3::Ptr<ns3::Node> node, std::unique_ptr<Scan> scan, SimScanOptions options)
    : scan_(std::move(scan)),
      connections_(node, CoreTcpEvents(*scan_, [this] { loop_.Pump(); })),
      loop_(*scan_, &Scan::take_records, [this](TransportAction& a) { connections_.Perform(a); }, std::move(options.on_record),
            std::move(options.on_done)) {}

void SimScanDriver::Start(ns3::Time delay) { loop_.Start(delay); }

}  // namespace mitmlab
