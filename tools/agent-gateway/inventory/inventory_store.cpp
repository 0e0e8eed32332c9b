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

// Version 2: the core's rules (identifiers keyed by partition too, one
// device per IP, names and tags). Older files are recreated (see the header).
constexpr int kSchemaVersion = 2;
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS devices (
  tenant TEXT NOT NULL, id TEXT NOT NULL, partition TEXT NOT NULL, ip TEXT NOT NULL,
  mac TEXT NOT NULL, hostname TEXT NOT NULL, name TEXT NOT NULL, metadata TEXT NOT NULL,
  tags TEXT NOT NULL, sources TEXT NOT NULL, available INTEGER NOT NULL,
  deleted INTEGER NOT NULL, -- is_deleted(), kept for counting: metadata is JSON
  first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, PRIMARY KEY (tenant, id)) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS devices_by_ip ON devices (tenant, ip) WHERE ip <> '';
CREATE TABLE IF NOT EXISTS identifiers (
  tenant TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, partition TEXT NOT NULL,
  device TEXT NOT NULL, PRIMARY KEY (tenant, kind, value, partition)) WITHOUT ROWID;
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

bool starts_with(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

// The identifiers an update looks up and binds: a mapper-like update's MAC only seeds its id.
bool binds(const IncomingDevice& u, const Identifier& id) { return id.kind != IdKind::mac || u.mac_binds; }

// device_upsert_update_query: what the update has is written over what is
// stored (COALESCE: only a missing field keeps the stored value).
void merge_into(CanonicalDevice& d, const IncomingDevice& u) {
  d.ip = u.ip;
  if (u.mac) d.mac = *u.mac;
  if (u.hostname) d.hostname = *u.hostname;
  d.name = u.hostname ? *u.hostname : u.ip;  // the core's name: hostname || ip
  for (const auto& [k, v] : u.metadata) d.metadata[k] = v;
  d.sources.insert(u.source);
  d.available = u.available;
  if (!u.timestamp.empty()) {
    if (d.first_seen.empty()) d.first_seen = u.timestamp;
    if (u.timestamp > d.last_seen) d.last_seen = u.timestamp;  // RFC 3339 UTC sorts
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
             s(find_id, "SELECT device FROM identifiers WHERE tenant=?1 AND kind=?2 AND value=?3 AND partition=?4"),
             // "ip <> ''" repeated: only then may SQLite use the partial index.
             s(find_by_ip, "SELECT id FROM devices WHERE tenant=?1 AND ip=?2 AND ip <> ''"),
             s(identifiers_of, "SELECT kind, value, partition FROM identifiers WHERE tenant=?1 AND device=?2"),
             s(bind_id, "INSERT INTO identifiers (tenant, kind, value, partition, device) VALUES (?1,?2,?3,?4,?5) "
                        "ON CONFLICT (tenant, kind, value, partition) DO UPDATE SET device=excluded.device"),
             s(load, "SELECT id, partition, ip, mac, hostname, name, metadata, tags, sources, available, "
                     "first_seen, last_seen FROM devices WHERE tenant=?1 AND id=?2"),
             // An upsert on the key, not OR REPLACE: a second device with the
             // IP must be an error, never a silent delete of the first.
             s(save, "INSERT INTO devices (tenant, id, partition, ip, mac, hostname, name, metadata, "
                     "tags, sources, available, deleted, first_seen, last_seen) "
                     "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14) "
                     "ON CONFLICT (tenant, id) DO UPDATE SET partition=excluded.partition, ip=excluded.ip, "
                     "mac=excluded.mac, hostname=excluded.hostname, name=excluded.name, "
                     "metadata=excluded.metadata, tags=excluded.tags, sources=excluded.sources, "
                     "available=excluded.available, deleted=excluded.deleted, first_seen=excluded.first_seen, "
                     "last_seen=excluded.last_seen"),
             s(list, "SELECT id FROM devices WHERE tenant=?1 ORDER BY id"),
             s(count, "SELECT count(*) FROM devices WHERE tenant=?1"),
             s(list_tenants, "SELECT DISTINCT tenant FROM devices ORDER BY tenant"),
         })
      if (!err.empty()) return err;
    return {};
  }

  // An older schema (the stricter rules' store) is dropped and the current
  // one created, in one transaction, so a second connection sees either.
  std::string migrate() {
    if (auto err = db.exec("BEGIN IMMEDIATE"); !err.empty()) return err;
    auto fail = [&](std::string err) {
      db.exec("ROLLBACK");
      return err;
    };
    std::int64_t version = 0;
    {
      Statement v(db.handle(), "PRAGMA user_version");
      if (!v.ok()) return fail(v.error());
      if (v.step()) version = v.integer(0);
    }
    if (version < kSchemaVersion)
      for (const char* sql : {"DROP TABLE IF EXISTS devices", "DROP TABLE IF EXISTS identifiers"})
        if (auto err = db.exec(sql); !err.empty()) return fail(err);
    if (auto err = db.exec(kSchema); !err.empty()) return fail(err);
    if (version < kSchemaVersion)
      if (auto err = db.exec("PRAGMA user_version=" + std::to_string(kSchemaVersion)); !err.empty())
        return fail(err);
    return db.exec("COMMIT");
  }

  // One pass: devices, unavailable ones, deleted ones.
  void counts(const std::string& tenant, TenantSummary& out) {
    Statement s(db.handle(),
                "SELECT count(*), total(available=0), total(deleted) FROM devices WHERE tenant=?1");
    if (!s.ok()) return;
    s.bind(1, tenant);
    if (!s.step()) return;
    out.devices = static_cast<std::uint64_t>(s.integer(0));
    out.unavailable = static_cast<std::uint64_t>(s.integer(1));
    out.deleted = static_cast<std::uint64_t>(s.integer(2));
  }

  std::optional<std::string> device_of(const std::string& tenant, const std::string& partition,
                                       const Identifier& id) {
    find_id.reset();
    find_id.bind(1, tenant).bind(2, kind_name(id.kind)).bind(3, id.value).bind(4, partition);
    std::optional<std::string> out;
    if (find_id.step()) out = find_id.text(0);
    find_id.reset();  // an open statement would pin this connection's snapshot
    return out;
  }

  // The device holding an IP in the tenant (at most one: the unique index).
  std::optional<std::string> holder_of(const std::string& tenant, const std::string& ip) {
    find_by_ip.reset();
    find_by_ip.bind(1, tenant).bind(2, ip);
    std::optional<std::string> out;
    if (find_by_ip.step()) out = find_by_ip.text(0);
    find_by_ip.reset();
    return out;
  }

  std::vector<BoundIdentifier> identifiers(const std::string& tenant, const std::string& device) {
    std::vector<BoundIdentifier> out;
    identifiers_of.reset();
    identifiers_of.bind(1, tenant).bind(2, device);
    while (identifiers_of.step())
      if (auto k = kind_of(identifiers_of.text(0)))
        out.push_back({*k, identifiers_of.text(1), identifiers_of.text(2)});
    identifiers_of.reset();
    return out;
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
    d.name = load.text(5);
    d.metadata = map_of(load.text(6));
    d.tags = map_of(load.text(7));
    d.sources = set_of(load.text(8));
    d.available = load.integer(9) != 0;
    d.first_seen = load.text(10);
    d.last_seen = load.text(11);
    load.reset();
    return d;
  }

  std::optional<CanonicalDevice> read(const std::string& tenant, const std::string& id) {
    auto d = read_row(tenant, id);
    if (!d) return d;
    d->identifiers = identifiers(tenant, id);
    std::sort(d->identifiers.begin(), d->identifiers.end(), [](const BoundIdentifier& a, const BoundIdentifier& b) {
      return std::tie(a.kind, a.value, a.partition) < std::tie(b.kind, b.value, b.partition);
    });
    return d;
  }

  std::string write(const std::string& tenant, const CanonicalDevice& d) {
    save.reset();
    save.bind(1, tenant).bind(2, d.id).bind(3, d.partition).bind(4, d.ip).bind(5, d.mac).bind(6, d.hostname);
    save.bind(7, d.name).bind(8, to_json(d.metadata)).bind(9, to_json(d.tags)).bind(10, to_json(d.sources));
    save.bind(11, std::int64_t{d.available ? 1 : 0}).bind(12, std::int64_t{is_deleted(d) ? 1 : 0});
    save.bind(13, d.first_seen).bind(14, d.last_seen);
    save.step();
    return save.error();
  }

  // Every identifier of the update now names `device` (the core upserts
  // them replacing device_id); `holders` are their devices before.
  std::string bind_identifiers(const std::string& tenant, const std::string& device, const IncomingDevice& u,
                               const std::vector<std::optional<std::string>>& holders, ApplyResult& r) {
    for (std::size_t i = 0; i < u.strong.size(); ++i) {
      const auto& id = u.strong[i];
      if (!binds(u, id) || holders[i] == device) continue;
      if (holders[i]) ++r.rebound;
      bind_id.reset();
      bind_id.bind(1, tenant).bind(2, kind_name(id.kind)).bind(3, id.value).bind(4, u.partition).bind(5, device);
      bind_id.step();
      if (!bind_id.error().empty()) return bind_id.error();
    }
    return {};
  }

  // sync_ingestor.ex resolve_device_id_cached: see the header, steps 0-4.
  std::string pick(const std::string& tenant, const IncomingDevice& u, const std::optional<std::string>& ip_holder,
                   std::vector<std::optional<std::string>>& holders) {
    holders.reserve(u.strong.size());
    for (const auto& id : u.strong)
      holders.push_back(binds(u, id) ? device_of(tenant, u.partition, id) : std::nullopt);
    if (starts_with(u.device_id, "serviceradar:")) return u.device_id;
    for (const auto& h : holders)
      if (h) return *h;
    if (starts_with(u.device_id, "sr:")) return u.device_id;
    if (ip_holder && starts_with(*ip_holder, "sr:")) return *ip_holder;
    return deterministic_id(u);
  }

  std::string reconcile(const std::string& tenant, const IncomingDevice& u, ApplyResult& r) {
    std::vector<std::optional<std::string>> holders;
    const auto ip_holder = holder_of(tenant, u.ip);
    auto target = pick(tenant, u, ip_holder, holders);
    // One active device per IP: another holder of the IP takes the update.
    if (ip_holder && *ip_holder != target) {
      target = *ip_holder;
      ++r.ip_remapped;
    }
    CanonicalDevice d;
    if (auto known = read_row(tenant, target)) {
      d = std::move(*known);
      ++r.merged;
    } else {
      d.id = target;
      d.partition = u.partition;
      d.tags = u.tags;  // written on insert only
      ++r.created;
    }
    merge_into(d, u);
    if (auto err = write(tenant, d); !err.empty()) return err;
    return bind_identifiers(tenant, d.id, u, holders, r);
  }
};

bool is_deleted(const CanonicalDevice& device) {
  auto it = device.metadata.find("_deleted");
  return it != device.metadata.end() && it->second == "true";
}

InventoryStore::InventoryStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
InventoryStore::~InventoryStore() = default;

base::Expected<std::unique_ptr<InventoryStore>> InventoryStore::open(const std::filesystem::path& file) {
  using Result = base::Expected<std::unique_ptr<InventoryStore>>;
  auto impl = std::make_unique<Impl>();
  if (auto err = impl->db.open(file.string()); !err.empty()) return Result::failure("inventory: " + err);
  const bool in_memory = file == ":memory:";
  for (const char* sql : {in_memory ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL",
                          "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=OFF",
                          // Another process (sqlite3 shell, a backup) may hold the lock briefly.
                          "PRAGMA busy_timeout=1000"})
    if (auto err = impl->db.exec(sql); !err.empty())
      return Result::failure("inventory: " + file.string() + ": " + err);
  if (auto err = impl->migrate(); !err.empty()) return Result::failure("inventory: " + file.string() + ": " + err);
  if (auto err = impl->prepare(); !err.empty()) return Result::failure("inventory: " + err);
  return std::unique_ptr<InventoryStore>(new InventoryStore(std::move(impl)));
}

base::Expected<ApplyResult> InventoryStore::apply(const std::string& tenant,
                                                 const std::vector<IncomingDevice>& batch) {
  using Result = base::Expected<ApplyResult>;
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
    impl_->counts(t, s);
    s.by_source = counts_by_source(t);
  }
  impl_->db.exec("COMMIT");
  return out;
}

}  // namespace sr::gateway::inventory
