// Where a run's sealed chunks wait until the run is complete and sent.
//
// All runs share one SpoolStore: a memory budget (chunks beyond it go to a
// file in the spool directory) and a cap on the disk the spool may use. A
// RunSpool is one run's chunks, in order, each either in memory or in the
// run's file; destroying it frees both. Chunk files are written and read one
// bounded chunk at a time (pwrite/pread of at most max_bytes), which is what
// keeps a five-million-device inventory out of RAM.
#pragma once

#include "base/expected.hpp"
#include "sync/pipeline/chunk.hpp"

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace sr::sync {

struct SpoolOptions {
  std::filesystem::path dir;              // empty: a private temporary directory
  std::size_t memory_budget = 8u << 20;   // bytes of chunks held in RAM, all runs together
  std::uint64_t disk_cap = 2ull << 30;    // bytes of spool files, all runs together
};

class SpoolStore {
 public:
  // Creates the directory (0700) and removes chunk files a crash left
  // behind: a restarted agent runs every source at once, so a fresh snapshot
  // replaces them; resending stale runs would only duplicate.
  static base::Expected<std::shared_ptr<SpoolStore>> open(SpoolOptions options);
  ~SpoolStore();  // removes the directory if it was a temporary one

  const std::filesystem::path& dir() const noexcept { return dir_; }
  std::size_t memory_used() const noexcept { return memory_used_; }
  std::uint64_t disk_used() const noexcept { return disk_used_; }
  std::size_t leftovers_removed() const noexcept { return leftovers_removed_; }
  const SpoolOptions& options() const noexcept { return options_; }

  bool take_memory(std::size_t bytes);
  void give_memory(std::size_t bytes) noexcept { memory_used_ -= bytes; }
  bool take_disk(std::uint64_t bytes);
  void give_disk(std::uint64_t bytes) noexcept { disk_used_ -= bytes; }
  std::uint64_t next_file_id() noexcept { return ++file_seq_; }

 private:
  SpoolStore(SpoolOptions options, bool temporary);
  SpoolOptions options_;
  std::filesystem::path dir_;
  bool temporary_ = false;
  std::atomic<std::size_t> memory_used_{0};
  std::atomic<std::uint64_t> disk_used_{0};
  std::atomic<std::uint64_t> file_seq_{0};
  std::size_t leftovers_removed_ = 0;
};

class RunSpool {
 public:
  explicit RunSpool(std::shared_ptr<SpoolStore> store);
  ~RunSpool();
  RunSpool(const RunSpool&) = delete;
  RunSpool& operator=(const RunSpool&) = delete;

  // Keeps the chunk: "" or why not (disk cap reached, write error). A chunk
  // kept in memory is moved from; a spilled one keeps its buffer, for the
  // caller to reuse.
  std::string add(ChunkData&& chunk);
  // Chunk i, from memory or from the file.
  base::Expected<ChunkData> read(std::size_t i) const;
  // The same into `into`, reusing its buffer: "" or what went wrong.
  std::string read_into(std::size_t i, ChunkData& into) const;

  std::size_t chunks() const noexcept { return entries_.size(); }
  std::uint64_t devices() const noexcept { return devices_; }
  std::uint64_t bytes_in_memory() const noexcept { return memory_; }
  std::uint64_t bytes_on_disk() const noexcept { return disk_; }

 private:
  struct Entry {
    ChunkData memory;   // when in memory
    std::uint64_t offset = 0, length = 0;
    std::uint32_t devices = 0;
    bool on_disk = false;
  };
  std::string spill(Entry& e, const ChunkData& chunk);

  std::shared_ptr<SpoolStore> store_;
  std::vector<Entry> entries_;
  std::filesystem::path file_;
  int fd_ = -1;
  std::uint64_t devices_ = 0, memory_ = 0, disk_ = 0;
};

}  // namespace sr::sync
