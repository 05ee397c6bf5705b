#include "interceptor/default-targets.h"

#include <array>

namespace mitmlab {

namespace {

// Censored Planet, "Kazakhstan's HTTPS Interception" (July 2019), and Raman et al., IMC 2020:
// 37 of the ~10,000 most popular domains triggered interception. The list names google.com,
// www.google.com and mail.google.com separately, which is why exact matching is the default.
constexpr std::array<std::string_view, 37> kTargets = {
    "allo.google.com",     "android.com",          "cdninstagram.com",   "dns.google.com",
    "docs.google.com",     "encrypted.google.com", "facebook.com",       "goo.gl",
    "google.com",          "groups.google.com",    "hangouts.google.com", "instagram.com",
    "mail.google.com",     "mail.ru",              "messages.android.com", "messenger.com",
    "news.google.com",     "ok.ru",                "picasa.google.com",  "plus.google.com",
    "rukoeb.com",          "sites.google.com",     "sosalkino.tv",       "tamtam.chat",
    "translate.google.com", "twitter.com",         "video.google.com",   "vk.com",
    "vk.me",               "vkuseraudio.net",      "vkuservideo.net",    "www.facebook.com",
    "www.google.com",      "www.instagram.com",    "www.messenger.com",  "www.youtube.com",
    "youtube.com",
};

}  // namespace

std::span<const std::string_view> default_targets() { return kTargets; }

}  // namespace mitmlab
