// SQL behind the change log.
#include "change_log.hpp"

#include "kim/shared/errors.hpp"

namespace kim::client {

namespace {

Hash32 to_hash(const Bytes& b) {
    Hash32 h{};
    if (b.size() != h.size()) throw IntegrityError("a stored change hash has the wrong size; the replica is damaged");
    std::copy(b.begin(), b.end(), h.begin());
    return h;
}

Change parse_stored(const std::string& body) {
    try {
        return change_from_json(nlohmann::json::parse(body));
    } catch (const std::exception& e) {
        throw IntegrityError(std::string("a stored change cannot be read; the replica is damaged: ") + e.what());
    }
}

}  // namespace

std::optional<Hash32> ChangeLog::hash_of(std::string_view origin, std::uint64_t seq) {
    sqlite::Statement st(db_, "SELECT hash FROM changes WHERE origin = ? AND seq = ?");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
    if (!st.step()) return std::nullopt;
    return to_hash(st.blob(0));
}

std::optional<HeldChange> ChangeLog::held(std::string_view origin, std::uint64_t seq) {
    for (const bool waiting : {false, true}) {
        sqlite::Statement st(db_, waiting ? "SELECT hash, body FROM pending WHERE origin = ? AND seq = ?"
                                          : "SELECT hash, body FROM changes WHERE origin = ? AND seq = ?");
        st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
        if (!st.step()) continue;
        return HeldChange{to_hash(st.blob(0)), parse_stored(st.text(1)).sig, waiting};
    }
    return std::nullopt;
}

bool ChangeLog::holds(std::string_view origin, std::uint64_t seq) {
    sqlite::Statement st(db_,
                         "SELECT EXISTS(SELECT 1 FROM changes WHERE origin = ?1 AND seq = ?2) "
                         "OR EXISTS(SELECT 1 FROM pending WHERE origin = ?1 AND seq = ?2)");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
    st.step();
    return st.integer(0) != 0;
}

ChainTip ChangeLog::tip(std::string_view origin) {
    sqlite::Statement st(db_, "SELECT seq, hash FROM changes WHERE origin = ? ORDER BY seq DESC LIMIT 1");
    st.bind(1, origin);
    if (!st.step()) return {};
    return {static_cast<std::uint64_t>(st.integer(0)), to_hash(st.blob(1))};
}

void ChangeLog::append(const Change& c, const Hash32& hash) {
    // `arrival` is the rowid: SQLite numbers the change after the last one
    // (changes are never deleted, so a number is never given twice).
    sqlite::Statement st(db_, "INSERT INTO changes(origin, seq, hash, record, hlc, body) VALUES(?, ?, ?, ?, ?, ?)");
    st.bind(1, c.origin)
        .bind(2, static_cast<std::int64_t>(c.seq))
        .bind(3, hash)
        .bind(4, c.record)
        .bind(5, static_cast<std::int64_t>(c.hlc))
        .bind(6, envelope_text(c, /*with_ct=*/false))
        .run();
    sqlite::Statement ct(db_, "INSERT INTO ciphertexts(origin, seq, field, ct) VALUES(?, ?, ?, ?)");
    for (const auto& op : c.ops) {
        if (!op.ct) continue;
        ct.bind(1, c.origin).bind(2, static_cast<std::int64_t>(c.seq)).bind(3, op.field).bind(4, *op.ct).run();
    }
}

std::optional<Change> ChangeLog::load(std::string_view origin, std::uint64_t seq) {
    sqlite::Statement st(db_, "SELECT body FROM changes WHERE origin = ? AND seq = ?");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
    if (!st.step()) return std::nullopt;
    Change c = parse_stored(st.text(0));
    sqlite::Statement ct(db_, "SELECT field, ct FROM ciphertexts WHERE origin = ? AND seq = ?");
    ct.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
    while (ct.step()) {
        const std::string field = ct.text(0);
        for (auto& op : c.ops) {
            if (op.field == field) op.ct = ct.blob(1);
        }
    }
    return c;
}

std::optional<Bytes> ChangeLog::ciphertext(std::string_view origin, std::uint64_t seq, std::string_view field) {
    sqlite::Statement st(db_, "SELECT ct FROM ciphertexts WHERE origin = ? AND seq = ? AND field = ?");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq)).bind(3, field);
    if (!st.step()) return std::nullopt;
    return st.blob(0);
}

void ChangeLog::add_ciphertext(std::string_view origin, std::uint64_t seq, std::string_view field, const Bytes& ct) {
    sqlite::Statement st(db_, "INSERT OR IGNORE INTO ciphertexts(origin, seq, field, ct) VALUES(?, ?, ?, ?)");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq)).bind(3, field).bind(4, ct).run();
}

void ChangeLog::for_each(const std::function<void(const Change&)>& fn) {
    sqlite::Statement st(db_, "SELECT origin, seq FROM changes ORDER BY origin, seq");
    while (st.step()) {
        auto c = load(st.text(0), static_cast<std::uint64_t>(st.integer(1)));
        fn(*c);
    }
}

std::uint64_t ChangeLog::count() {
    sqlite::Statement st(db_, "SELECT COUNT(*) FROM changes");
    st.step();
    return static_cast<std::uint64_t>(st.integer(0));
}

std::uint64_t ChangeLog::count_of(std::string_view origin) {
    sqlite::Statement st(db_, "SELECT COUNT(*) FROM changes WHERE origin = ?");
    st.bind(1, origin);
    st.step();
    return static_cast<std::uint64_t>(st.integer(0));
}

void ChangeLog::purge_record(std::string_view record) {
    sqlite::Statement st(db_,
                         "DELETE FROM ciphertexts WHERE (origin, seq) IN (SELECT origin, seq FROM changes WHERE record = ?)");
    st.bind(1, record).run();
}

void ChangeLog::add_pending(const Change& c, const Hash32& hash) {
    sqlite::Statement st(db_, "INSERT INTO pending(origin, seq, hash, body) VALUES(?, ?, ?, ?)");
    st.bind(1, c.origin)
        .bind(2, static_cast<std::int64_t>(c.seq))
        .bind(3, hash)
        .bind(4, envelope_text(c, /*with_ct=*/true))
        .run();
}

std::uint64_t ChangeLog::drop_pending_from(std::string_view origin, std::uint64_t seq) {
    sqlite::Statement st(db_, "DELETE FROM pending WHERE origin = ? AND seq >= ?");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq)).run();
    return static_cast<std::uint64_t>(db_.changes());
}

std::optional<Change> ChangeLog::take_pending(std::string_view origin, std::uint64_t seq) {
    sqlite::Statement st(db_, "SELECT body FROM pending WHERE origin = ? AND seq = ?");
    st.bind(1, origin).bind(2, static_cast<std::int64_t>(seq));
    if (!st.step()) return std::nullopt;
    Change c = parse_stored(st.text(0));
    sqlite::Statement del(db_, "DELETE FROM pending WHERE origin = ? AND seq = ?");
    del.bind(1, origin).bind(2, static_cast<std::int64_t>(seq)).run();
    return c;
}

void ChangeLog::for_each_pending(const std::function<void(const Change&)>& fn) {
    sqlite::Statement st(db_, "SELECT body FROM pending ORDER BY origin, seq");
    while (st.step()) fn(parse_stored(st.text(0)));
}

std::uint64_t ChangeLog::purge_pending(const std::function<bool(const Change&)>& erased) {
    std::vector<Change> stripped;
    {
        sqlite::Statement st(db_, "SELECT body FROM pending ORDER BY origin, seq");
        while (st.step()) {
            Change c = parse_stored(st.text(0));
            bool had_ciphertext = false;
            for (const auto& op : c.ops) had_ciphertext |= op.ct.has_value();
            if (!had_ciphertext || !erased(c)) continue;
            for (auto& op : c.ops) op.ct.reset();
            stripped.push_back(std::move(c));
        }
    }
    sqlite::Statement up(db_, "UPDATE pending SET body = ? WHERE origin = ? AND seq = ?");
    for (const auto& c : stripped) {
        up.bind(1, envelope_text(c, /*with_ct=*/true)).bind(2, c.origin).bind(3, static_cast<std::int64_t>(c.seq)).run();
    }
    return stripped.size();
}

std::uint64_t ChangeLog::pending_count() {
    sqlite::Statement st(db_, "SELECT COUNT(*) FROM pending");
    st.step();
    return static_cast<std::uint64_t>(st.integer(0));
}

std::optional<Peer> ChangeLog::peer(std::string_view replica) {
    sqlite::Statement st(db_, "SELECT public_key, intro_mac FROM peers WHERE replica = ?");
    st.bind(1, replica);
    if (!st.step()) return std::nullopt;
    Peer p{std::string(replica), {}, {}};
    const Bytes pk = st.blob(0);
    const Bytes mac = st.blob(1);
    if (pk.size() != p.public_key.size() || mac.size() != p.intro_mac.size()) {
        throw IntegrityError("a stored peer key has the wrong size; the replica is damaged");
    }
    std::copy(pk.begin(), pk.end(), p.public_key.begin());
    std::copy(mac.begin(), mac.end(), p.intro_mac.begin());
    return p;
}

void ChangeLog::add_peer(const Peer& p) {
    sqlite::Statement st(db_, "INSERT INTO peers(replica, public_key, intro_mac) VALUES(?, ?, ?)");
    st.bind(1, p.replica).bind(2, p.public_key).bind(3, p.intro_mac).run();
}

std::vector<Peer> ChangeLog::peers() {
    std::vector<Peer> out;
    sqlite::Statement st(db_, "SELECT replica FROM peers ORDER BY replica");
    while (st.step()) out.push_back(*peer(st.text(0)));
    return out;
}

}  // namespace kim::client
