#pragma once

#include <string>

namespace sr::agent {

// "serviceradar-agent 0.1.0" followed by the versions of the libraries that
// decide wire and TLS behaviour, one per line.
std::string version_report();
std::string version();

}  // namespace sr::agent
