// A thin RAII layer over SQLite's C API: a connection, prepared statements
// with bound parameters, errors as text naming the statement.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace sr::gateway::inventory {

class Statement {
 public:
  Statement() = default;
  Statement(sqlite3* db, std::string_view sql);  // check ok() / error()
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;

  bool ok() const noexcept { return stmt_ != nullptr; }
  const std::string& error() const noexcept { return error_; }

  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, std::int64_t value);
  // true while a row is available; false when done. On an error, false and error() says why.
  bool step();
  void reset();  // for the next use; bindings cleared
  std::string text(int column) const;
  std::int64_t integer(int column) const;

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_, error_;
};

class Database {
 public:
  // "" on success, else why the file cannot be used (naming it). A database
  // file and its -wal/-shm/-journal are made 0600, whatever the umask.
  std::string open(const std::string& file);
  ~Database();
  sqlite3* handle() const noexcept { return db_; }
  // Statements without results (schema, pragmas, BEGIN/COMMIT): "" or the error.
  std::string exec(std::string_view sql);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace sr::gateway::inventory
