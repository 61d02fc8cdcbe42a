// Second-factor management: change the PIN, add and remove the biometric. The app has one PIN
// (and one biometric) across all accounts, but each account's server holds its own keys for them,
// so every operation walks the accounts one server after the other: a fresh challenge (§5.6),
// then the signed change (§5.10).
#include <algorithm>

#include "crypto.hpp"
#include "engine.hpp"

namespace tapgate {
namespace {

Error invalid(std::string message) { return makeError(ErrorCode::INVALID_ARGUMENT, std::move(message)); }

// Checked before any key is derived: Argon2id takes a while, and a refusal should not.
Error busy() { return makeError(ErrorCode::WRONG_STATE, "another second-factor change is in progress"); }

Account* findAccount(std::vector<Account>& accounts, const AccountRef& ref) {
  auto it = std::find_if(accounts.begin(), accounts.end(),
                         [&](const Account& a) { return a.serverId == ref.serverId && a.accountId == ref.accountId; });
  return it == accounts.end() ? nullptr : &*it;
}

}  // namespace

Result<int> Engine::changePin(const std::string& pin, const SecretBytes& biometric, const std::string& newPin,
                              std::int64_t now) {
  const bool byBiometric = !biometric.empty();
  if (factorOp_) return busy();
  if (state_.accounts.empty()) return invalid("there is no PIN to change: no account needs one");
  if (!crypto::validPinLength(newPin)) return invalid("a PIN has 4 to 64 characters");
  if (byBiometric) {
    if (config_.disallowPinChangeWithBiometric) return invalid("disallowPinChangeWithBiometric: authorise with the PIN");
    if (!config_.biometricAvailable || config_.biometricsDisabled || biometric.size() != 32) {
      return invalid("the biometric is not available");
    }
    const bool everyAccount = std::all_of(state_.accounts.begin(), state_.accounts.end(), [](const Account& a) { return a.biometric; });
    if (!everyAccount) return invalid("not every account has a biometric: authorise with the PIN");
  } else if (!crypto::validPinLength(pin)) {
    return invalid("a PIN has 4 to 64 characters");
  }
  FactorOperation op;
  op.change = wire::FactorChange::Pin;
  op.byBiometric = byBiometric;
  for (const auto& a : state_.accounts) {
    FactorStep step{{a.serverId, a.accountId}, std::nullopt, std::nullopt, crypto::randomBytes(crypto::kPinSaltSize)};
    step.authKey = byBiometric ? crypto::biometricKeyPair(biometric, a.bioSalt) : crypto::pinKeyPair(pin, a.pinSalt, config_.pinKdf);
    step.newKey = crypto::pinKeyPair(newPin, step.newSalt, config_.pinKdf);
    op.steps.push_back(std::move(step));
  }
  return beginFactorOperation(std::move(op), now);
}

Result<int> Engine::addBiometric(const std::string& pin, const SecretBytes& biometric, std::int64_t now) {
  if (factorOp_) return busy();
  if (state_.accounts.empty()) return invalid("enrol an account before adding a biometric");
  if (!config_.biometricAvailable || config_.biometricsDisabled || biometric.size() != 32) {
    return invalid("the biometric is not available");
  }
  if (!crypto::validPinLength(pin)) return invalid("a PIN has 4 to 64 characters");
  FactorOperation op;
  op.change = wire::FactorChange::AddBiometric;
  for (const auto& a : state_.accounts) {
    FactorStep step{{a.serverId, a.accountId}, std::nullopt, std::nullopt, crypto::randomBytes(crypto::kPinSaltSize)};
    step.authKey = crypto::pinKeyPair(pin, a.pinSalt, config_.pinKdf);
    step.newKey = crypto::biometricKeyPair(biometric, step.newSalt);
    op.steps.push_back(std::move(step));
  }
  return beginFactorOperation(std::move(op), now);
}

Result<int> Engine::removeBiometric(std::int64_t now) {
  if (factorOp_) return busy();
  FactorOperation op;
  op.change = wire::FactorChange::RemoveBiometric;
  for (const auto& a : state_.accounts) {
    if (a.biometric) op.steps.push_back({{a.serverId, a.accountId}, std::nullopt, std::nullopt, {}});
  }
  // Off on the device first: whatever the servers answer, the biometric is never offered again.
  for (auto& a : state_.accounts) {
    if (!a.biometric) continue;
    a.biometric = false;
    emit(0, "accountupdate", {{"account", accountJson(a, state_)}});
  }
  persist(now);
  return beginFactorOperation(std::move(op), now);
}

Result<int> Engine::beginFactorOperation(FactorOperation op, std::int64_t now) {
  if (factorOp_) return busy();
  const int id = op.id = nextRequest_++;
  factorOp_ = std::move(op);
  nextFactorStep(now);  // may already end it (nothing to do)
  return id;
}

// Asks the next account's server for a challenge, or completes the operation.
void Engine::nextFactorStep(std::int64_t now) {
  FactorOperation& op = *factorOp_;
  if (op.next == op.steps.size()) {
    if (op.change == wire::FactorChange::Pin) {
      // Every server holds the new PIN key as pending: switch here, then have them promote it.
      // A lost commit is harmless: a server promotes the pending key when it is first used.
      for (const FactorStep& step : op.steps) {
        Account* a = findAccount(state_.accounts, step.account);
        const ServerRecord* server = state_.server(step.account.serverId);
        if (!a || !server) continue;
        a->pinSalt = step.newSalt;
        const wire::Exchange commit = wire::pinCommitRequest(
            a->accountId, step.newKey->publicKey,
            crypto::sign(a->signSecretKey, wire::pinCommitProofMessage(a->accountId, step.newKey->publicKey)));
        sendApp(*server, wire::Transcript::begin({}), commit, Pending::Purpose::Notify);
      }
      persist(now);
    }
    return endFactorOperation(std::nullopt, "SUCCESS", 0);
  }
  const FactorStep& step = op.steps[op.next];
  const Account* a = state_.account(step.account.serverId, step.account.accountId);
  if (!a) {  // deleted meanwhile: nothing left to change for it
    ++op.next;
    return nextFactorStep(now);
  }
  sendApp(*state_.server(a->serverId), wire::Transcript::begin({}), wire::pinChallengeRequest(a->accountId),
          Pending::Purpose::FactorChallenge);
}

void Engine::handleFactorResponse(const Pending& p, int httpStatus, const std::string& body, std::int64_t now) {
  if (!factorOp_) return;
  FactorOperation& op = *factorOp_;
  const FactorStep& step = op.steps[op.next];
  const Account* a = state_.account(step.account.serverId, step.account.accountId);
  if (!a) return endFactorOperation(makeError(ErrorCode::UNKNOWN_ACCOUNT, "the account was deleted meanwhile"), nullptr, 0);

  if (p.purpose == Pending::Purpose::FactorChallenge) {
    // Unsigned (§5.6): the change request signs it, and its answer is signed.
    auto challenge = wire::parsePinChallenge(httpStatus, body);
    if (!challenge) return endFactorOperation(challenge.error(), nullptr, 0);
    const Bytes newPk = step.newKey ? step.newKey->publicKey : Bytes{};
    const Bytes proof = wire::factorChangeProofMessage(challenge.value(), op.change, newPk);
    wire::FactorProofs proofs;
    proofs.sigAccount = crypto::sign(a->signSecretKey, proof);
    if (step.authKey) (op.byBiometric ? proofs.sigBio : proofs.sigPin) = crypto::sign(step.authKey->secretKey, proof);
    if (step.newKey) proofs.sigNew = crypto::sign(step.newKey->secretKey, proof);
    sendApp(*state_.server(a->serverId), wire::Transcript::begin(challenge.value()),
            wire::factorChangeRequest(a->accountId, challenge.value(), op.change, newPk, proofs), Pending::Purpose::FactorChange);
    return;
  }

  auto opened = wire::openResponse(p.serverPk, p.transcript, p.body, httpStatus, body);
  if (!opened) return endFactorOperation(opened.error(), nullptr, 0);
  auto verdict = wire::parseVerifyResponse(opened.value(), false);
  if (!verdict) return endFactorOperation(verdict.error(), nullptr, 0);
  switch (verdict->outcome) {
    case wire::VerifyOutcome::Success:
      applyFactorStep(step, now);
      ++op.next;
      return nextFactorStep(now);
    case wire::VerifyOutcome::PinFail:
      return endFactorOperation(std::nullopt, "PIN_FAIL", verdict->attemptsLeft);
    case wire::VerifyOutcome::PinBlocked:
      state_.pinBlocked = true;
      persist(now);
      return endFactorOperation(std::nullopt, "PIN_BLOCKED", 0);
    case wire::VerifyOutcome::BiometricFail:
      return endFactorOperation(std::nullopt, "BIOMETRIC_FAIL", 0);
    case wire::VerifyOutcome::SecondFactorRequired:
      return endFactorOperation(makeError(ErrorCode::BAD_RESPONSE, "SECOND_FACTOR_REQUIRED answers a factor change"), nullptr, 0);
  }
}

// One server accepted. The first acceptance proves the factor that authorised the operation.
void Engine::applyFactorStep(const FactorStep& step, std::int64_t now) {
  const FactorOperation& op = *factorOp_;
  if (op.next == 0 && step.authKey) {
    state_.lastSecondFactorAt = now;
    if (op.byBiometric) {
      ++state_.biometricsSinceLastPin;
    } else {
      state_.lastPinAt = now;
      state_.biometricsSinceLastPin = 0;
      state_.pinBlocked = false;
    }
  }
  if (op.change != wire::FactorChange::AddBiometric) return persist(now);  // a PIN switches at the end
  Account* a = findAccount(state_.accounts, step.account);
  a->biometric = true;
  a->bioSalt = step.newSalt;
  persist(now);
  emit(0, "accountupdate", {{"account", accountJson(*a, state_)}});
}

void Engine::endFactorOperation(const std::optional<Error>& error, const char* result, int attemptsLeft) {
  json d = {{"request", factorOp_->id}, {"ok", !error}};
  if (error) d["error"] = errorJson(*error);
  if (result) d["result"] = result;
  if (attemptsLeft > 0) d["attemptsLeft"] = attemptsLeft;
  factorOp_.reset();  // wipes every key it derived
  emit(0, "requestdone", std::move(d));
}

}  // namespace tapgate
