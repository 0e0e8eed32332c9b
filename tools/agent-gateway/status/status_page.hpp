// The read-only status page at "/": plain HTML with a little JS that reads
// /status and /inventory every few seconds. No build step, nothing fetched
// from elsewhere (appliances often have no Internet).
#pragma once

#include <string_view>

namespace sr::gateway {

std::string_view status_page_html();

}  // namespace sr::gateway
