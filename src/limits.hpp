// Bounds on everything a server sends and the device keeps (docs/protocol.md "Limits"). A signed
// answer outside them is BAD_RESPONSE and stores nothing; a persisted state outside them is
// STATE_CORRUPT. Without them a malicious enrol server could plant state the app cannot manage:
// an account id JavaScript cannot name (above 2^53 - 1), a 20 MB server name in every save.
// Each bound is at or above what the reference server itself allows (server/src/rp-api.ts,
// usercontext.ts), so no honest server meets one.
#pragma once
#include <cstddef>
#include <cstdint>

namespace tapgate::limits {

// The largest integer a JavaScript number holds exactly: ids, times and counters must stay at or
// below it, or the app sees (and passes back) a different number.
constexpr std::int64_t kMaxSafeInteger = (std::int64_t{1} << 53) - 1;

// Account ids: what the app names an account by (deleteAccount, setAccount).
constexpr std::int64_t kMinAccountId = 1;
constexpr std::int64_t kMaxAccountId = kMaxSafeInteger;

// Times (ms since the epoch): the server's clock, a message's time and expiry, stored timestamps.
constexpr std::int64_t kMinTime = 0;
constexpr std::int64_t kMaxTime = kMaxSafeInteger;
// A message outlives its `time` by at most this (the reference server keeps them 10 minutes):
// the device remembers every id until its expiry, so a far expiry would grow the state for good.
constexpr std::int64_t kMaxMessageLifetimeMs = 24 * 60 * 60 * 1000;
// … except a `rekey` (§6.1), which lives as long as the key rotation's overlap (the reference
// server's TAPGATE_KEY_OVERLAP_S is at most this): rare, one per rotation.
constexpr std::int64_t kMaxRekeyLifetimeMs = std::int64_t{90} * 24 * 60 * 60 * 1000;

// Code matching (§5.1): the user types a code of this many digits from the login page; fewer than
// two would let a guess win one time in ten.
constexpr int kMinCodeLength = 2;
constexpr int kMaxCodeLength = 8;

// Server parameters (§5.1). The reference server's own ceiling for the PIN limit is at most this.
constexpr std::int64_t kMaxPingTimeSeconds = 24 * 60 * 60;    // a ping every 8 hours at the longest
constexpr std::int64_t kMaxPinTimeoutMinutes = 365 * 24 * 60;  // a year
constexpr std::int64_t kPinTimeoutNever = -1;  // pinTimeout -1: a login never asks again once a factor was verified
constexpr std::int64_t kMinPinAttemptLimit = 1;
constexpr std::int64_t kMaxPinAttemptLimit = 100;

// Text, in UTF-8 bytes. The reference server allows 100 characters of server name and 256 of
// userId / name (up to 3 bytes each).
constexpr std::size_t kMaxNameBytes = 1024;              // server name, userId, account name
constexpr std::size_t kMaxUrlBytes = 255;                // device API URL (one length byte in the QR)
constexpr std::size_t kMaxLogoBytes = 48 * 1024;         // a 32 KiB image as a data: URL, with room
// The server's links (appUrl, siteUrl, appAndroid, appIos) and owner; the server allows 2000 and
// 200 characters. serverFlags: at most this many entries of at most this many bytes.
constexpr std::size_t kMaxLinkBytes = 4096;
constexpr std::size_t kMaxOwnerBytes = kMaxNameBytes;
constexpr std::size_t kMaxServerFlags = 32;
constexpr std::size_t kMaxServerFlagBytes = 64;
constexpr std::size_t kMaxTransactionIdBytes = 256;
constexpr std::size_t kMaxTransactionTextBytes = 8 * 1024;  // three fields of ≤ 200 characters
constexpr std::size_t kMaxMessageTextBytes = 8 * 1024;      // the server allows 2000 characters
constexpr std::size_t kMaxWebNonceBytes = 256;
constexpr std::size_t kMaxReturnUrlBytes = 1024;      // an app-to-app link's return URL, decoded
constexpr std::size_t kMaxReturnOrigins = 16;         // origins a server registers for return URLs
// What the app passes to setAccount and the relying party reads back (LoginStatus `userinput`);
// the reference server refuses more.
constexpr std::size_t kMaxUserInputBytes = 1024;
// The app's clientAdditionalData of a transaction it starts (§5.12); the server refuses more.
constexpr std::size_t kMaxClientAdditionalDataBytes = 4096;

// Info blocks (announceInfo, sessionInfo, a message's data): the server allows 8 Ki characters of
// user context and 64 KiB request bodies. Size is the block's compact JSON text; depth counts
// nested objects and arrays (the block itself is 1).
constexpr std::size_t kMaxInfoBytes = 64 * 1024;
constexpr int kMaxInfoDepth = 8;

// A pull (§6.2) returns every unexpired message of one account.
constexpr std::size_t kMaxPulledMessages = 1000;

}  // namespace tapgate::limits
