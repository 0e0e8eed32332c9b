#include "tools/agent-gateway/inventory/inventory_store.hpp"

#include "tools/agent-gateway/inventory/sqlite_db.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <tuple>

namespace sr::gateway::inventory {

namespace json = boost::json;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices (
  tenant TEXT NOT NULL, id TEXT NOT NULL, partition TEXT NOT NULL, ip TEXT NOT NULL,
  mac TEXT NOT NULL, hostname TEXT NOT NULL, metadata TEXT NOT NULL, sources TEXT NOT NULL,
  retracted TEXT NOT NULL, available INTEGER NOT NULL, first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS devices_by_ip ON devices (tenant, partition, ip, last_seen);
CREATE TABLE IF NOT EXISTS identifiers (
  tenant TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, device TEXT NOT NULL,
  PRIMARY KEY (tenant, kind, value)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS identifiers_by_device ON identifiers (tenant, device);
)sql";

std::string to_json(const std::map<std::string, std::string>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return json::serialize(o);
}
std::string to_json(const std::set<std::string>& s) {
  json::array a;
  for (const auto& v : s) a.emplace_back(v);
  return json::serialize(a);
}
std::map<std::string, std::string> map_of(const std::string& text) {
  std::map<std::string, std::string> m;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && v.is_object())
    for (const auto& [k, val] : v.get_object())
      if (val.is_string()) m.emplace(std::string(k), std::string(val.get_string()));
  return m;
}
std::set<std::string> set_of(const std::string& text) {
  std::set<std::string> s;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (!ec && v.is_array())
    for (const auto& e : v.get_array())
      if (e.is_string()) s.emplace(e.get_string());
  return s;
}
std::optional<IdKind> kind_of(std::string_view name) {
  for (auto k : {IdKind::agent_id, IdKind::armis_device_id, IdKind::integration_id, IdKind::netbox_device_id,
                 IdKind::mac})
    if (kind_name(k) == name) return k;
  return std::nullopt;
}

// Integration ids of different integrations never contradict each other.
bool same_scope(const Identifier& id, const std::string& other_value) {
  if (id.kind != IdKind::integration_id) return true;
  return id.value.substr(0, id.value.find(':')) == other_value.substr(0, other_value.find(':'));
}

// The richer record: what the update says wins where it says anything.
void merge_into(CanonicalDevice& d, const IncomingDevice& u) {
  if (!u.ip.empty()) d.ip = u.ip;
  if (!u.mac.empty()) d.mac = u.mac;
  if (!u.hostname.empty()) d.hostname = u.hostname;
  for (const auto& [k, v] : u.metadata) d.metadata[k] = v;
  if (!u.source.empty()) {
    d.sources.insert(u.source);
    d.retracted.erase(u.source);
  }
  d.available = u.available.value_or(true);
  if (!u.timestamp.empty()) {
    if (d.first_seen.empty() || u.timestamp < d.first_seen) d.first_seen = u.timestamp;  // RFC 3339 UTC sorts
    if (u.timestamp > d.last_seen) d.last_seen = u.timestamp;
  }
}

}  // namespace

struct InventoryStore::Impl {
  Database db;
  Statement find_id, find_by_ip, identifiers_of, bind_id, load, save, list, count, list_tenants;

  std::string prepare() {
    auto s = [&](Statement& st, const char* sql) {
      st = Statement(db.handle(), sql);
      return st.ok() ? std::string() : st.error();
    };
    for (auto err : {
             s(find_id, "SELECT device FROM identifiers WHERE tenant=?1 AND kind=?2 AND value=?3"),
             s(find_by_ip, "SELECT id FROM devices WHERE tenant=?1 AND partition=?2 AND ip=?3 "
                           "ORDER BY last_seen DESC LIMIT 1"),
             s(identifiers_of, "SELECT kind, value FROM identifiers WHERE tenant=?1 AND device=?2"),
             s(bind_id, "INSERT OR IGNORE INTO identifiers (tenant, kind, value, device) VALUES (?1,?2,?3,?4)"),
             s(load, "SELECT id, partition, ip, mac, hostname, metadata, sources, retracted, available, "
                     "first_seen, last_seen FROM devices WHERE tenant=?1 AND id=?2"),
             s(save, "INSERT OR REPLACE INTO devices (tenant, id, partition, ip, mac, hostname, metadata, "
                     "sources, retracted, available, first_seen, last_seen) "
                     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)"),
             s(list, "SELECT id FROM devices WHERE tenant=?1 ORDER BY id"),
             s(count, "SELECT count(*) FROM devices WHERE tenant=?1"),
             s(list_tenants, "SELECT DISTINCT tenant FROM devices ORDER BY tenant"),
         })
      if (!err.empty()) return err;
    return {};
  }

  std::optional<std::string> device_of(const std::string& tenant, const Identifier& id) {
    find_id.reset();
    find_id.bind(1, tenant).bind(2, kind_name(id.kind)).bind(3, id.value);
    std::optional<std::string> out;
    if (find_id.step()) out = find_id.text(0);
    find_id.reset();  // an open statement would pin this connection's snapshot
    return out;
  }

  // The strong identifiers bound to a device.
  std::vector<Identifier> identifiers(const std::string& tenant, const std::string& device) {
    std::vector<Identifier> out;
    identifiers_of.reset();
    identifiers_of.bind(1, tenant).bind(2, device);
    while (identifiers_of.step())
      if (auto k = kind_of(identifiers_of.text(0))) out.push_back({*k, identifiers_of.text(1)});
    return out;
  }

  // A device found by IP is refused when it carries another value of a kind the update has.
  bool ip_match_allowed(const std::string& tenant, const std::string& device, const IncomingDevice& u) {
    for (const auto& held : identifiers(tenant, device))
      for (const auto& id : u.strong)
        if (id.kind == held.kind && id.value != held.value && same_scope(id, held.value)) return false;
    return true;
  }

  std::optional<std::string> by_ip(const std::string& tenant, const IncomingDevice& u) {
    find_by_ip.reset();
    find_by_ip.bind(1, tenant).bind(2, u.partition).bind(3, u.ip);
    if (!find_by_ip.step()) return std::nullopt;
    auto id = find_by_ip.text(0);
    find_by_ip.reset();
    if (!ip_match_allowed(tenant, id, u)) return std::nullopt;
    return id;
  }

  // The record without its identifiers (what a merge needs).
  std::optional<CanonicalDevice> read_row(const std::string& tenant, const std::string& id) {
    load.reset();
    load.bind(1, tenant).bind(2, id);
    if (!load.step()) return std::nullopt;
    CanonicalDevice d;
    d.id = load.text(0);
    d.partition = load.text(1);
    d.ip = load.text(2);
    d.mac = load.text(3);
    d.hostname = load.text(4);
    d.metadata = map_of(load.text(5));
    d.sources = set_of(load.text(6));
    d.retracted = set_of(load.text(7));
    d.available = load.integer(8) != 0;
    d.first_seen = load.text(9);
    d.last_seen = load.text(10);
    load.reset();
    return d;
  }

  std::optional<CanonicalDevice> read(const std::string& tenant, const std::string& id) {
    auto d = read_row(tenant, id);
    if (!d) return d;
    d->identifiers = identifiers(tenant, id);
    std::sort(d->identifiers.begin(), d->identifiers.end(), [](const Identifier& a, const Identifier& b) {
      return std::tie(a.kind, a.value) < std::tie(b.kind, b.value);
    });
    return d;
  }

  std::string write(const std::string& tenant, const CanonicalDevice& d) {
    save.reset();
    save.bind(1, tenant).bind(2, d.id).bind(3, d.partition).bind(4, d.ip).bind(5, d.mac).bind(6, d.hostname);
    save.bind(7, to_json(d.metadata)).bind(8, to_json(d.sources)).bind(9, to_json(d.retracted));
    save.bind(10, std::int64_t{d.available ? 1 : 0}).bind(11, d.first_seen).bind(12, d.last_seen);
    save.step();
    return save.error();
  }

  // Binds the update's identifiers that no device holds yet (`holders`, one
  // per identifier, as looked up before the merge); counts those held elsewhere.
  std::string bind_identifiers(const std::string& tenant, const std::string& device, const IncomingDevice& u,
                               const std::vector<std::optional<std::string>>& holders, ApplyResult& r) {
    for (std::size_t i = 0; i < u.strong.size(); ++i) {
      const auto& id = u.strong[i];
      const auto& holder = holders[i];
      if (holder && *holder != device) {
        ++r.conflicts;
        continue;
      }
      if (holder) continue;
      bind_id.reset();
      bind_id.bind(1, tenant).bind(2, kind_name(id.kind)).bind(3, id.value).bind(4, device);
      bind_id.step();
      if (!bind_id.error().empty()) return bind_id.error();
    }
    return {};
  }

  std::string reconcile(const std::string& tenant, const IncomingDevice& u, ApplyResult& r) {
    // Each identifier is looked up once: the first held one names the device,
    // and the rest say which can still be bound to it.
    std::vector<std::optional<std::string>> holders;
    holders.reserve(u.strong.size());
    std::optional<std::string> target;
    for (const auto& id : u.strong) {
      holders.push_back(device_of(tenant, id));
      if (!target) target = holders.back();
    }
    if (!target) target = by_ip(tenant, u);
    if (u.retraction) {
      if (!target) {
        ++r.retractions_ignored;
        return {};
      }
      auto d = read_row(tenant, *target);
      if (!d) return {};
      d->sources.erase(u.source);
      d->retracted.insert(u.source);
      if (d->sources.empty()) d->available = false;
      ++r.retracted;
      return write(tenant, *d);
    }
    CanonicalDevice d;
    if (auto known = target ? read_row(tenant, *target) : std::nullopt) {
      d = std::move(*known);
      ++r.merged;
    } else {
      d.id = deterministic_id(u);
      d.partition = u.partition;
      if (auto existing = read_row(tenant, d.id)) {
        d = std::move(*existing);  // the same identifiers seen before under a different IP
        ++r.merged;
      } else {
        ++r.created;
      }
    }
    merge_into(d, u);
    if (auto err = write(tenant, d); !err.empty()) return err;
    return bind_identifiers(tenant, d.id, u, holders, r);
  }
};

InventoryStore::InventoryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InventoryStore::~InventoryStore() = default;

net::Expected<std::unique_ptr<InventoryStore>> InventoryStore::open(const std::filesystem::path& file) {
  using Result = net::Expected<std::unique_ptr<InventoryStore>>;
  auto impl = std::make_unique<Impl>();
  if (auto err = impl->db.open(file.string()); !err.empty()) return Result::failure("inventory: " + err);
  const bool in_memory = file == ":memory:";
  for (const char* sql : {in_memory ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL",
                          "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF",
                          // Another process (sqlite3 shell, a backup) may hold the lock briefly.
                          "PRAGMA busy_timeout=1000", kSchema})
    if (auto err = impl->db.exec(sql); !err.empty())
      return Result::failure("inventory: " + file.string() + ": " + err);
  if (auto err = impl->prepare(); !err.empty()) return Result::failure("inventory: " + err);
  return std::unique_ptr<InventoryStore>(new InventoryStore(std::move(impl)));
}

net::Expected<ApplyResult> InventoryStore::apply(const std::string& tenant,
                                                 const std::vector<IncomingDevice>& batch) {
  using Result = net::Expected<ApplyResult>;
  auto& i = *impl_;
  if (auto err = i.db.exec("BEGIN IMMEDIATE"); !err.empty()) return Result::failure("inventory: " + err);
  ApplyResult r;
  for (const auto& u : batch) {
    if (auto err = i.reconcile(tenant, u, r); !err.empty()) {
      i.db.exec("ROLLBACK");
      return Result::failure("inventory: " + err);
    }
  }
  if (auto err = i.db.exec("COMMIT"); !err.empty()) {
    i.db.exec("ROLLBACK");
    return Result::failure("inventory: " + err);
  }
  return r;
}

std::optional<CanonicalDevice> InventoryStore::device(const std::string& tenant, const std::string& id) const {
  return impl_->read(tenant, id);
}

std::vector<CanonicalDevice> InventoryStore::devices(const std::string& tenant) const {
  std::vector<std::string> ids;
  auto& list = impl_->list;
  list.reset();
  list.bind(1, tenant);
  while (list.step()) ids.push_back(list.text(0));
  std::vector<CanonicalDevice> out;
  for (const auto& id : ids)
    if (auto d = impl_->read(tenant, id)) out.push_back(std::move(*d));
  return out;
}

std::uint64_t InventoryStore::count(const std::string& tenant) const {
  auto& c = impl_->count;
  c.reset();
  c.bind(1, tenant);
  const auto n = c.step() ? static_cast<std::uint64_t>(c.integer(0)) : 0;
  c.reset();
  return n;
}

std::map<std::string, std::uint64_t> InventoryStore::counts_by_source(const std::string& tenant) const {
  Statement s(impl_->db.handle(),
              "SELECT j.value, count(*) FROM devices, json_each(devices.sources) AS j "
              "WHERE devices.tenant=?1 GROUP BY j.value");
  std::map<std::string, std::uint64_t> out;
  if (!s.ok()) return out;
  s.bind(1, tenant);
  while (s.step()) out[s.text(0)] = static_cast<std::uint64_t>(s.integer(1));
  return out;
}

std::vector<std::string> InventoryStore::tenants() const {
  auto& t = impl_->list_tenants;
  t.reset();
  std::vector<std::string> out;
  while (t.step()) out.push_back(t.text(0));
  return out;
}

std::map<std::string, InventoryStore::TenantSummary> InventoryStore::summary() const {
  std::map<std::string, TenantSummary> out;
  if (!impl_->db.exec("BEGIN").empty()) return out;
  for (const auto& t : tenants()) {
    auto& s = out[t];
    s.devices = count(t);
    s.by_source = counts_by_source(t);
  }
  impl_->db.exec("COMMIT");
  return out;
}

}  // namespace sr::gateway::inventory
