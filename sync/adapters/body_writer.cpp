#include "sync/adapters/body_writer.hpp"

#include "contract/device_json.hpp"

#include <charconv>

namespace sr::sync {

namespace device_key = contract::device_key;
using contract::append_json_field, contract::append_json_key, contract::append_json_string;

namespace {

// An integer in decimal, as std::to_string and fmt write it.
void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

// The fields a run's devices share (stamp_update: partition, source, agent,
// gateway, timestamp), written once and copied into every body after.
struct RunFields {
  std::string partition, source, agent_id, gateway_id, timestamp;  // what they were written from
  std::string device_id_start;  // {"device_id":"<partition>:
  std::string stamp;            // ,"source":"..",...,"timestamp":".."

  bool written_from(const RunInfo& info, std::string_view src) const {
    return !device_id_start.empty() && source == src && partition == info.partition &&
           agent_id == info.agent_id && gateway_id == info.gateway_id && timestamp == info.timestamp;
  }
  void write(const RunInfo& info, std::string_view src) {
    partition = info.partition;
    source = src;
    agent_id = info.agent_id;
    gateway_id = info.gateway_id;
    timestamp = info.timestamp;
    device_id_start.assign(1, '{');
    append_json_key(device_id_start, device_key::device_id);
    append_json_string(device_id_start, info.partition);
    device_id_start.back() = ':';
    stamp.clear();
    bool first = false;
    append_json_field(stamp, device_key::source, src, first);
    if (!info.agent_id.empty()) append_json_field(stamp, device_key::agent_id, info.agent_id, first);
    if (!info.gateway_id.empty()) append_json_field(stamp, device_key::gateway_id, info.gateway_id, first);
    append_json_field(stamp, device_key::partition,
                      info.partition.empty() ? contract::kDefaultPartition : info.partition, first);
    append_json_field(stamp, device_key::timestamp, info.timestamp, first);
  }
};

// Per thread: a page's devices are encoded on one thread, one run at a time;
// another run's device (or a changed RunInfo) only rewrites it.
const RunFields& run_fields(const RunInfo& info, std::string_view source) {
  thread_local RunFields fields;
  if (!fields.written_from(info, source)) fields.write(info, source);
  return fields;
}

}  // namespace

std::size_t append_body_head(std::string& out, const RunInfo& info, const BodyHead& head) {
  const auto& run = run_fields(info, head.source);
  // device_id is "<partition>:<ip>", escaped as one string: escaping goes byte by byte.
  out += run.device_id_start;
  out += head.ip;
  out += R"(",)";
  append_json_key(out, device_key::ip);
  out += '"';
  const std::size_t ip_at = out.size();
  out += head.ip;
  out += '"';
  bool first = false;
  if (!head.mac.empty()) append_json_field(out, device_key::mac, head.mac, first);
  if (!head.hostname.empty()) append_json_field(out, device_key::hostname, head.hostname, first);
  out += run.stamp;
  out += head.available ? R"(,"is_available":true,"confidence":)" : R"(,"is_available":false,"confidence":)";
  append_int(out, head.confidence);
  return ip_at;
}

void MetadataWriter::key(std::string_view k) {
  out_ += ',';
  if (!open_) {
    append_json_key(out_, device_key::metadata);
    out_ += '{';
    open_ = true;
  }
  append_json_key(out_, k);  // what append_json_string writes for a key with nothing to escape
}

void MetadataWriter::add(std::string_view k, std::string_view value) {
  if (value.empty()) return;
  key(k);
  append_json_string(out_, value);
}

void MetadataWriter::add(std::string_view k, std::int64_t value) {
  key(k);
  out_ += '"';
  append_int(out_, value);
  out_ += '"';
}

void MetadataWriter::item(std::string_view text, bool first) {
  if (first) {
    append_json_string(out_, text);
    return;
  }
  // Escaping is byte by byte: the list so far without its closing quote,
  // then the item quoted, its opening quote turned into the separator.
  out_.pop_back();
  const auto at = out_.size();
  append_json_string(out_, text);
  out_[at] = ',';
}

void MetadataWriter::finish() {
  if (open_) out_ += '}';
}

}  // namespace sr::sync
