#include "tools/agent-gateway/inventory/sqlite_db.hpp"

#include "base/durable_file.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <utility>

namespace sr::gateway::inventory {

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), sql_(sql) {
  if (sqlite3_prepare_v2(db, sql_.c_str(), static_cast<int>(sql_.size()), &stmt_, nullptr) != SQLITE_OK) {
    error_ = std::string(sqlite3_errmsg(db)) + " in: " + sql_;
    stmt_ = nullptr;
  }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& o) noexcept
    : db_(o.db_), stmt_(std::exchange(o.stmt_, nullptr)), sql_(std::move(o.sql_)), error_(std::move(o.error_)) {}

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    db_ = o.db_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    sql_ = std::move(o.sql_);
    error_ = std::move(o.error_);
  }
  return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
  sqlite3_bind_text(stmt_, index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) error_ = std::string(sqlite3_errmsg(db_)) + " in: " + sql_;
  return false;
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  error_.clear();
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_, column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
           : std::string();
}

std::int64_t Statement::integer(int column) const { return sqlite3_column_int64(stmt_, column); }

namespace {

// The inventory is tenant data: the database and its sidecars are 0600
// whatever the umask. SQLite creates -wal, -shm and -journal with the mode
// of the database file (os_unix.c, findCreateFileMode), so making that file
// 0600 before SQLite sees it covers the sidecars it makes later; sidecars an
// earlier version left wider are narrowed here.
std::string make_private(const std::string& file) {
  if (file.empty() || file == ":memory:" || file.rfind("file:", 0) == 0) return {};
  if (auto err = base::ensure_private_file(file); !err.empty()) return err;
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::filesystem::path sidecar = file + suffix;
    std::error_code ec;
    if (!std::filesystem::exists(sidecar, ec)) continue;
    if (auto err = base::ensure_private_file(sidecar); !err.empty()) return err;
  }
  return {};
}

}  // namespace

std::string Database::open(const std::string& file) {
  if (auto err = make_private(file); !err.empty()) return err;
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    return "cannot open " + file + ": " + why;
  }
  return {};
}

Database::~Database() { sqlite3_close(db_); }

std::string Database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return {};
  std::string why = err ? err : "unknown error";
  sqlite3_free(err);
  return why;
}

}  // namespace sr::gateway::inventory
