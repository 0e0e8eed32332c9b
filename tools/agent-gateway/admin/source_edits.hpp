// Integration sources as the admin API edits them in a tenant's store
// document: names checked, patches merged, sources validated as the agent
// will read them, and credentials never shown (only which keys are set).
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace sr::gateway {

// "" when `name` may name a source: 1-64 of a-z, A-Z, 0-9, '.', '_', '-'.
std::string check_source_name(std::string_view name);

// The source as the API shows it: every key, but "credentials" becomes the
// sorted list of its keys, never their values.
boost::json::object redacted_source(const boost::json::object& source);

// Merges a PATCH body into a source: each key set, null removes it;
// "credentials" merges key by key (a null value removes that key), so one
// secret can be rotated without sending the others. "" or why not.
std::string merge_patch(boost::json::object& source, const boost::json::object& patch);

// Validates a source against the contract (contract/source_keys.hpp): what
// the agent refuses to run is an error, what it reads leniently (a duration
// that does not read, a key it does not know) a warning. Checked on its own,
// not with the agent's parser: the admin API is a second opinion. "" or the
// first error naming the key; never a credential's value.
std::string validate_source(const std::string& name, const boost::json::object& source,
                            std::vector<std::string>& warnings);

}  // namespace sr::gateway
