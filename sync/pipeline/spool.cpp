#include "sync/pipeline/spool.hpp"

#include <fcntl.h>
#include <csignal>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace sr::sync {

namespace fs = std::filesystem;

namespace {
constexpr const char* kSuffix = ".spool";

std::string errno_text() { return std::strerror(errno); }

template <class T>
bool take(std::atomic<T>& used, T bytes, T cap) {
  auto now = used.load();
  do {
    if (now + bytes > cap) return false;
  } while (!used.compare_exchange_weak(now, now + bytes));
  return true;
}
// run-<pid>-<n>.spool: a file of another live process (a second agent on
// the same state directory, a misconfiguration) is not ours to remove.
bool owner_alive(const fs::path& file) {
  const auto name = file.stem().string();
  if (name.rfind("run-", 0) != 0) return false;
  const long pid = std::strtol(name.c_str() + 4, nullptr, 10);
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace

SpoolStore::SpoolStore(SpoolOptions options, bool temporary)
    : options_(std::move(options)), dir_(options_.dir), temporary_(temporary) {}

base::Expected<std::shared_ptr<SpoolStore>> SpoolStore::open(SpoolOptions options) {
  using Result = base::Expected<std::shared_ptr<SpoolStore>>;
  bool temporary = false;
  if (options.dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/serviceradar-agent-spool-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!::mkdtemp(pattern.data()))
      return Result::failure(fmt::format("spool: cannot create a temporary directory from {}: {}",
                                         pattern, errno_text()));
    options.dir = pattern;
    temporary = true;
  } else {
    std::error_code ec;
    fs::create_directories(options.dir, ec);
    if (ec)
      return Result::failure(fmt::format("spool: cannot create {}: {}", options.dir.string(), ec.message()));
    fs::permissions(options.dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  std::shared_ptr<SpoolStore> store(new SpoolStore(std::move(options), temporary));
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(store->dir_, ec)) {
    if (entry.path().extension() != kSuffix || owner_alive(entry.path())) continue;
    if (fs::remove(entry.path(), ec)) ++store->leftovers_removed_;
  }
  if (ec)
    return Result::failure(fmt::format("spool: cannot list {}: {}", store->dir_.string(), ec.message()));
  return store;
}

SpoolStore::~SpoolStore() {
  if (temporary_) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

bool SpoolStore::take_memory(std::size_t bytes) { return take(memory_used_, bytes, options_.memory_budget); }

bool SpoolStore::take_disk(std::uint64_t bytes) { return take(disk_used_, bytes, options_.disk_cap); }

RunSpool::RunSpool(std::shared_ptr<SpoolStore> store) : store_(std::move(store)) {}

RunSpool::~RunSpool() {
  store_->give_memory(memory_);
  store_->give_disk(disk_);
  if (fd_ >= 0) {
    ::close(fd_);
    std::error_code ec;
    fs::remove(file_, ec);
  }
}

std::string RunSpool::spill(Entry& e, const ChunkData& chunk) {
  if (!store_->take_disk(chunk.bodies.size()))
    return fmt::format("spool disk cap of {} MiB reached in {} (spool_disk_cap)",
                       store_->options().disk_cap >> 20, store_->dir().string());
  disk_ += chunk.bodies.size();
  if (fd_ < 0) {
    file_ = store_->dir() / fmt::format("run-{}-{}{}", ::getpid(), store_->next_file_id(), kSuffix);
    fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) return fmt::format("spool: cannot create {}: {}", file_.string(), errno_text());
  }
  e.offset = static_cast<std::uint64_t>(::lseek(fd_, 0, SEEK_END));
  e.length = chunk.bodies.size();
  const char* p = chunk.bodies.data();
  std::uint64_t left = e.length, at = e.offset;
  while (left > 0) {
    const auto n = ::pwrite(fd_, p, left, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return fmt::format("spool: cannot write {}: {}", file_.string(), errno_text());
    p += n;
    at += static_cast<std::uint64_t>(n);
    left -= static_cast<std::uint64_t>(n);
  }
  e.on_disk = true;
  return {};
}

std::string RunSpool::add(ChunkData&& chunk) {
  Entry e;
  e.devices = chunk.devices;
  const auto size = chunk.bodies.capacity();
  if (store_->take_memory(size)) {
    memory_ += size;
    e.memory = std::move(chunk);
  } else if (auto err = spill(e, chunk); !err.empty()) {
    return err;
  }
  devices_ += e.devices;
  entries_.push_back(std::move(e));
  return {};
}

base::Expected<ChunkData> RunSpool::read(std::size_t i) const {
  using Result = base::Expected<ChunkData>;
  ChunkData out;
  if (auto err = read_into(i, out); !err.empty()) return Result::failure(std::move(err));
  return out;
}

std::string RunSpool::read_into(std::size_t i, ChunkData& out) const {
  if (i >= entries_.size()) return fmt::format("spool: no chunk {}", i);
  const Entry& e = entries_[i];
  if (!e.on_disk) {
    out.bodies.assign(e.memory.bodies);
    out.devices = e.memory.devices;
    return {};
  }
  out.devices = e.devices;
  out.bodies.resize(e.length);
  std::uint64_t got = 0;
  while (got < e.length) {
    const auto n = ::pread(fd_, out.bodies.data() + got, e.length - got, static_cast<off_t>(e.offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fmt::format("spool: cannot read chunk {} from {}: {}", i, file_.string(),
                         n == 0 ? "file is short" : errno_text());
    got += static_cast<std::uint64_t>(n);
  }
  return {};
}

}  // namespace sr::sync
