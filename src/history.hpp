// The session history and its text in the state blob, kept in step. Every change goes through
// History, which remembers the first item that changed; a save re-serialises from there and copies
// the rest. Before, each save compared every item with its cached text and appended it again: at a
// few hundred items that was most of a login's time in the core (issue 13).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bytes.hpp"

namespace tapgate {

enum class HistoryStatus { None, LoggedIn, LoggedInOneShot, LoggedOut, Aborted, Error, Deleted };
const char* historyStatusName(HistoryStatus s);
std::optional<HistoryStatus> historyStatusFromName(const std::string& name);

struct HistoryItem {
  std::string sessionRef;  // base64url session id as the server knows it
  std::string kind;        // "login" | "enrol" | "applogin"
  HistoryStatus status = HistoryStatus::None;
  Bytes serverId;
  std::int64_t accountId = 0;  // 0 when no account was chosen
  std::string accountName;     // kept for display after the account is deleted
  std::int64_t started = 0;
  std::int64_t ended = 0;      // 0 while the session runs
  // T1 of the session once the server started it (empty before): a restart after a crash proves
  // the cancel or the logout it then sends with it (protocol §5.4, §5.5).
  Bytes t1;

  bool operator==(const HistoryItem&) const = default;
};

class History {
 public:
  using Items = std::vector<HistoryItem>;

  const Items& items() const { return items_; }
  Items::const_iterator begin() const { return items_.begin(); }
  Items::const_iterator end() const { return items_.end(); }
  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  const HistoryItem& operator[](std::size_t i) const { return items_[i]; }

  void append(HistoryItem item) { items_.push_back(std::move(item)); }
  // Writes `item` over the open item (not ended) of the same session, or appends it.
  void record(HistoryItem item);
  // Calls change(item) for every open item, which may change it.
  template <class Change>
  void changeOpen(Change&& change) {
    for (std::size_t i = 0; i < items_.size(); ++i) {
      if (items_[i].ended != 0) continue;
      touch(i);
      change(items_[i]);
    }
  }
  // The items of a deleted account show DELETED.
  void markDeleted(const Bytes& serverId, std::int64_t accountId);
  // Drops the items that ended before `horizon`.
  void expire(std::int64_t horizon);

  // The items as the elements of a JSON array (comma-separated, without the brackets).
  const std::string& text() const;

 private:
  void touch(std::size_t i) { valid_ = std::min(valid_, i); }

  Items items_;
  // text_ holds the first `valid_` items; itemEnds_[i] is where item i's text ends in it.
  mutable std::string text_;
  mutable std::vector<std::size_t> itemEnds_;
  mutable std::size_t valid_ = 0;
};

}  // namespace tapgate
