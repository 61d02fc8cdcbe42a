#include "history.hpp"

#include <algorithm>

#include "json_writer.hpp"

namespace tapgate {

const char* historyStatusName(HistoryStatus s) {
  switch (s) {
    case HistoryStatus::None: return "NONE";
    case HistoryStatus::LoggedIn: return "LOGGED_IN";
    case HistoryStatus::LoggedInOneShot: return "LOGGED_IN_ONE_SHOT";
    case HistoryStatus::LoggedOut: return "LOGGED_OUT";
    case HistoryStatus::Aborted: return "ABORTED";
    case HistoryStatus::Error: return "ERROR";
    case HistoryStatus::Deleted: return "DELETED";
  }
  return "NONE";
}

std::optional<HistoryStatus> historyStatusFromName(const std::string& name) {
  for (auto s : {HistoryStatus::None, HistoryStatus::LoggedIn, HistoryStatus::LoggedInOneShot, HistoryStatus::LoggedOut,
                 HistoryStatus::Aborted, HistoryStatus::Error, HistoryStatus::Deleted}) {
    if (name == historyStatusName(s)) return s;
  }
  return std::nullopt;
}

void History::record(HistoryItem item) {
  // Open items are the newest: search from the end, cheap fields first.
  for (std::size_t i = items_.size(); i-- > 0;) {
    HistoryItem& h = items_[i];
    if (h.ended == 0 && h.started == item.started && h.sessionRef == item.sessionRef) {
      touch(i);
      // An account deleted while its session ran keeps its name in the item, for display.
      if (item.accountName.empty() && item.accountId == h.accountId) item.accountName = std::move(h.accountName);
      h = std::move(item);
      return;
    }
  }
  items_.push_back(std::move(item));
}

void History::markDeleted(const Bytes& serverId, std::int64_t accountId) {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    HistoryItem& h = items_[i];
    if (h.accountId != accountId || h.serverId != serverId || h.status == HistoryStatus::Deleted) continue;
    touch(i);
    h.status = HistoryStatus::Deleted;
  }
}

void History::expire(std::int64_t horizon) {
  auto expired = [&](const HistoryItem& h) { return h.ended && h.ended < horizon; };
  auto first = std::find_if(items_.begin(), items_.end(), expired);
  if (first == items_.end()) return;
  touch(static_cast<std::size_t>(first - items_.begin()));
  items_.erase(std::remove_if(first, items_.end(), expired), items_.end());
}

const std::string& History::text() const {
  if (valid_ == items_.size()) return text_;
  JsonWriter w;
  w.out = std::move(text_);
  w.out.resize(valid_ ? itemEnds_[valid_ - 1] : 0);
  w.first = valid_ == 0;
  itemEnds_.resize(valid_);
  for (std::size_t i = valid_; i < items_.size(); ++i) {
    const HistoryItem& h = items_[i];
    w.element();
    w.open('{');
    w.text("session", h.sessionRef);
    w.text("kind", h.kind);
    w.text("status", historyStatusName(h.status));
    w.b64("serverId", h.serverId);
    w.number("accountId", h.accountId);
    w.text("accountName", h.accountName);
    w.number("started", h.started);
    w.number("ended", h.ended);
    if (!h.t1.empty()) w.b64("t1", h.t1);
    w.close('}');
    itemEnds_.push_back(w.out.size());
  }
  text_ = std::move(w.out);
  valid_ = items_.size();
  return text_;
}

}  // namespace tapgate
