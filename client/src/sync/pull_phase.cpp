// Pulling the site's changes page by page from the stored cursor; each page
// is verified and applied with its cursor in one transaction.
#include <algorithm>
#include <functional>
#include <future>
#include <system_error>

#include "../exchange/importer.hpp"
#include "kim/shared/errors.hpp"
#include "sync_phases.hpp"

namespace kim::client {

namespace {

void add_unique(std::vector<std::string>& to, const std::vector<std::string>& from) {
    for (const auto& s : from) {
        if (std::find(to.begin(), to.end(), s) == to.end()) to.push_back(s);
    }
}

void add(ImportReport& total, const ImportReport& page) {
    total.received += page.received;
    total.applied += page.applied;
    total.duplicates += page.duplicates;
    total.waiting = page.waiting;  // a count of what waits now, not a sum
    total.introduced += page.introduced;
    total.unvouched += page.unvouched;
    total.notes.insert(total.notes.end(), page.notes.begin(), page.notes.end());
    // Every page relays the same introductions: one warning per sync.
    add_unique(total.warnings, page.warnings);
}

protocol::PullResponse fetch_page(ServerSession& session, std::uint64_t cursor, std::size_t limit) {
    const std::string target =
        std::string(protocol::path_pull) + "?since=" + std::to_string(cursor) + "&limit=" + std::to_string(limit);
    const HttpResponse r = session.send("GET", target);
    if (r.status != 200) session.fail(r, "the pull after cursor " + std::to_string(cursor));
    try {
        return protocol::pull_response_from_json(session.parse(r, "the server's page of changes"));
    } catch (const InputError& e) {
        throw Error("the server at " + session.server() + " sent a page that is not protocol v1: " + e.what());
    }
}

}  // namespace

void pull_pages(ServerSession& session, Replica& replica, const SyncOptions& options, SyncReport& report) {
    std::uint64_t cursor = replica.sync_state().pull_cursor;
    const std::size_t limit = std::clamp<std::size_t>(options.pull_limit, 1, protocol::max_pull_limit);
    SyncProgress progress;
    progress.phase = SyncProgress::Phase::pull;
    report.cursor = cursor;
    if (options.stop_requested && options.stop_requested()) {
        report.stopped = true;
        return;
    }
    protocol::PullResponse page = fetch_page(session, cursor, limit);
    for (;;) {
        // The next page travels and is parsed while this one is applied: the
        // session is used only by the fetch until it is done, the replica
        // only here (a future from std::async waits for it when it goes, also
        // on an error or a stop: decision 116).
        std::future<protocol::PullResponse> next;
        if (page.more && page.next > cursor) {
            try {
                next = std::async(std::launch::async, fetch_page, std::ref(session), page.next, limit);
            } catch (const std::system_error&) {
                // No thread to be had: the page is fetched after this one is applied, as before.
            }
        }
        ImportReport applied;
        try {
            applied = replica.apply_pulled(page);
        } catch (const ClockAheadError& e) {
            throw ClockAheadError(std::string(e.what()) + ". Nothing of the page after cursor " + std::to_string(cursor) +
                                  " was applied and the sync stops there");
        } catch (const IntegrityError& e) {
            throw IntegrityError(std::string(e.what()) + ". It came from the server at " + session.server() + " (after cursor " +
                                 std::to_string(cursor) + "); nothing of that page was applied and the sync stops there. "
                                 "Tell the server's administrator");
        } catch (const InputError& e) {
            // Malformed data from the server is not the person's input: the
            // server (or something in between) is at fault.
            throw IntegrityError("the server at " + session.server() + " sent a malformed change or introduction (" + e.what() +
                                 "); nothing of that page was applied and the sync stops there. Tell the server's administrator");
        }
        add(report.applied, applied);
        report.pulled += page.changes.size();
        ++report.pages;
        if (page.more && page.next <= cursor) {
            throw Error("the server at " + session.server() + " says more changes remain but does not move its cursor past " +
                        std::to_string(cursor) + "; the sync stops to avoid a loop. Tell the server's administrator");
        }
        cursor = std::max(cursor, page.next);
        report.cursor = cursor;
        progress.pulled = report.pulled;
        progress.pages = report.pages;
        progress.cursor = cursor;
        progress.more = page.more;
        if (options.progress) options.progress(progress);
        if (!page.more) return;
        if (options.stop_requested && options.stop_requested()) {
            report.stopped = true;  // the page fetched meanwhile is dropped
            return;
        }
        page = next.valid() ? next.get() : fetch_page(session, cursor, limit);
    }
}

}  // namespace kim::client
