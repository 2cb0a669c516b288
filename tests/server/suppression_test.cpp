// Small-cell suppression of the coordinators' tables, judged by two
// independent checkers that know nothing of the graph model the
// implementation uses. The linear one: exact integer elimination over the
// table's sums decides whether a suppressed number can be recomputed from the
// published ones. The bounded one (small tables): a search over every table
// that publishes the same numbers, each suppressed one an integer of at least
// 1 (zeros are published, so every reader knows that much), decides whether
// a suppressed number is the same in all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "kim/shared/errors.hpp"
#include "stats/suppression.hpp"

namespace {

using kim::server::stats::Suppressed1D;
using kim::server::stats::Suppressed2D;
using kim::server::stats::suppress_1d;
using kim::server::stats::suppress_2d;
using Counts = std::vector<std::uint64_t>;

// ------------------------------------------------------------ checker ---

// A published table as the checker sees it: every number (cells, margins,
// total), whether it is suppressed, and the sums that tie them together.
struct Table {
    struct Term {
        std::size_t number;
        std::int64_t factor;
    };
    using Sum = std::vector<Term>;  // sum of factor * number == 0

    std::vector<std::uint64_t> numbers;
    std::vector<bool> hidden;
    std::vector<std::string> names;
    std::vector<Sum> sums;
    std::size_t grand = 0;  // the grand total's number

    std::size_t add(std::uint64_t n, bool is_hidden, std::string name) {
        numbers.push_back(n);
        hidden.push_back(is_hidden);
        names.push_back(std::move(name));
        return numbers.size() - 1;
    }
};

std::uint64_t sum_of(const Counts& counts) { return std::accumulate(counts.begin(), counts.end(), std::uint64_t{0}); }

Table table_1d(const Counts& cells, const Suppressed1D& s) {
    Table t;
    Table::Sum sum;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        sum.push_back({t.add(cells[i], s.cells[i], "cell " + std::to_string(i)), 1});
    }
    t.grand = t.add(sum_of(cells), s.total, "total");
    sum.push_back({t.grand, -1});
    t.sums.push_back(sum);
    return t;
}

Table table_2d(std::size_t rows, std::size_t cols, const Counts& cells, const Suppressed2D& s) {
    Table t;
    std::vector<std::size_t> cell(rows * cols);
    std::vector<std::uint64_t> row_sum(rows, 0);
    std::vector<std::uint64_t> col_sum(cols, 0);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) {
            const std::size_t i = r * cols + c;
            cell[i] = t.add(cells[i], s.cells[i], "cell (" + std::to_string(r) + "," + std::to_string(c) + ")");
            row_sum[r] += cells[i];
            col_sum[c] += cells[i];
        }
    }
    std::vector<std::size_t> row_total(rows);
    std::vector<std::size_t> col_total(cols);
    for (std::size_t r = 0; r < rows; ++r) {
        row_total[r] = t.add(row_sum[r], s.row_totals[r], "row total " + std::to_string(r));
    }
    for (std::size_t c = 0; c < cols; ++c) {
        col_total[c] = t.add(col_sum[c], s.col_totals[c], "column total " + std::to_string(c));
    }
    const std::size_t grand = t.add(sum_of(cells), s.total, "grand total");
    t.grand = grand;

    for (std::size_t r = 0; r < rows; ++r) {
        Table::Sum sum{{row_total[r], -1}};
        for (std::size_t c = 0; c < cols; ++c) sum.push_back({cell[r * cols + c], 1});
        t.sums.push_back(sum);
    }
    for (std::size_t c = 0; c < cols; ++c) {
        Table::Sum sum{{col_total[c], -1}};
        for (std::size_t r = 0; r < rows; ++r) sum.push_back({cell[r * cols + c], 1});
        t.sums.push_back(sum);
    }
    Table::Sum by_rows{{grand, -1}};
    for (const auto n : row_total) by_rows.push_back({n, 1});
    Table::Sum by_cols{{grand, -1}};
    for (const auto n : col_total) by_cols.push_back({n, 1});
    Table::Sum by_cells{{grand, -1}};
    for (const auto n : cell) by_cells.push_back({n, 1});
    t.sums.insert(t.sums.end(), {by_rows, by_cols, by_cells});
    return t;
}

// Exact arithmetic that fails loudly instead of wrapping.
std::int64_t mul(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r)) throw std::overflow_error("checker overflow");
    return r;
}

std::int64_t sub(std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    if (__builtin_sub_overflow(a, b, &r)) throw std::overflow_error("checker overflow");
    return r;
}

// One equation over the unknowns: their factors, then the right-hand side.
using Equation = std::vector<std::int64_t>;

void divide_by_gcd(Equation& e) {
    std::int64_t g = 0;
    for (const auto x : e) g = std::gcd(g, x);
    if (g > 1) {
        for (auto& x : e) x /= g;
    }
}

// Gauss-Jordan over the integers (each row scaled by its gcd so the numbers
// stay small). Afterwards every pivot column is zero outside its pivot row,
// so a unit vector e_j lies in the row space iff some row is a multiple of it.
std::vector<Equation> eliminate(std::vector<Equation> rows, std::size_t unknowns) {
    std::size_t rank = 0;
    for (std::size_t col = 0; col < unknowns && rank < rows.size(); ++col) {
        std::size_t pivot = rank;
        while (pivot < rows.size() && rows[pivot][col] == 0) ++pivot;
        if (pivot == rows.size()) continue;
        std::swap(rows[rank], rows[pivot]);
        const Equation& p = rows[rank];
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (i == rank || rows[i][col] == 0) continue;
            const std::int64_t a = p[col];
            const std::int64_t b = rows[i][col];
            for (std::size_t j = 0; j <= unknowns; ++j) rows[i][j] = sub(mul(rows[i][j], a), mul(p[j], b));
            divide_by_gcd(rows[i]);
        }
        ++rank;
    }
    for (std::size_t i = rank; i < rows.size(); ++i) {
        if (rows[i][unknowns] != 0) throw std::logic_error("checker: the table's sums contradict each other");
    }
    rows.resize(rank);
    return rows;
}

// A suppressed number the published ones pin down, with the value they give.
struct Disclosure {
    std::string name;
    std::int64_t recomputed;
    std::uint64_t truth;
};

std::vector<Disclosure> disclosures(const Table& t) {
    std::vector<std::size_t> unknown_of(t.numbers.size(), 0);
    std::vector<std::size_t> number_of;
    for (std::size_t i = 0; i < t.numbers.size(); ++i) {
        if (!t.hidden[i]) continue;
        unknown_of[i] = number_of.size();
        number_of.push_back(i);
    }
    const std::size_t n = number_of.size();

    std::vector<Equation> equations;
    for (const auto& sum : t.sums) {
        Equation e(n + 1, 0);
        for (const auto& term : sum) {
            if (t.hidden[term.number]) {
                e[unknown_of[term.number]] += term.factor;
            } else {
                e[n] = sub(e[n], mul(term.factor, static_cast<std::int64_t>(t.numbers[term.number])));
            }
        }
        equations.push_back(e);
    }

    std::vector<Disclosure> found;
    for (const auto& e : eliminate(equations, n)) {
        std::size_t nonzero = 0;
        std::size_t at = 0;
        for (std::size_t j = 0; j < n; ++j) {
            if (e[j] != 0) {
                ++nonzero;
                at = j;
            }
        }
        if (nonzero != 1) continue;
        const std::size_t number = number_of[at];
        found.push_back({t.names[number], e[n] / e[at], t.numbers[number]});
    }
    return found;
}

::testing::AssertionResult nothing_recomputable(const Table& t) {
    const auto found = disclosures(t);
    if (found.empty()) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << "recomputable from the published numbers:";
    for (const auto& d : found) failure << " " << d.name << " = " << d.recomputed << " (true " << d.truth << ");";
    return failure;
}

// The primary rule and the zero rule, on every published number.
::testing::AssertionResult rules_hold(const Table& t, std::uint64_t k) {
    for (std::size_t i = 0; i < t.numbers.size(); ++i) {
        const std::uint64_t n = t.numbers[i];
        if (n >= 1 && n < k && !t.hidden[i]) {
            return ::testing::AssertionFailure()
                   << t.names[i] << " = " << n << " is below k = " << k << " but published";
        }
        if (n == 0 && t.hidden[i]) return ::testing::AssertionFailure() << t.names[i] << " is zero but suppressed";
    }
    return ::testing::AssertionSuccess();
}

// ---------------------------------------------------- bounded checker ---

// The linear checker misses what the bound gives away: zeros are published,
// so every reader knows a suppressed number is at least 1. Cells {1, 1, 10}
// with only the 1s suppressed recompute nothing linearly (x + y = 2), yet
// x, y >= 1 leaves x = y = 1. This checker decides by search alone: a
// suppressed number is safe iff some table that publishes the same numbers,
// every suppressed number an integer in [1, bound], has it differ from the
// truth (the truth itself is one such table).
//
// The bound only narrows the tables searched, so it can only make the checker
// stricter, never miss a leak: with the grand total published every number
// is at most that total anyway (exact); with the grand total suppressed the
// tests use the true grand total + 2.
//
// Each suppressed number starts with one value seen, its true one. For each
// that has not yet shown a second, a depth-first search looks for a table in
// which it is below, then above, the truth (that number assigned first, then
// the others in the table's order); each table found shows a second value for
// every suppressed number it moves, and those are not asked about again. A
// number left with one value is leaked. Before each choice every sum narrows
// the number's range given the assigned numbers and the ranges of the others;
// after it every sum must still be reachable. Small tables only (a node
// budget fails loudly otherwise).
class BoundedChecker {
public:
    BoundedChecker(const Table& t, std::int64_t bound)
        : t_(t), bound_(bound), sums_of_(t.numbers.size()), varies_(t.numbers.size(), false) {
        for (std::size_t s = 0; s < t.sums.size(); ++s) {
            for (const auto& term : t.sums[s]) {
                if (term.factor != 1 && term.factor != -1) {
                    throw std::logic_error("bounded checker: factors are +1 or -1");
                }
                sums_of_[term.number].push_back(s);
            }
        }
        for (std::size_t i = 0; i < t.numbers.size(); ++i) {
            if (t.hidden[i]) hidden_.push_back(i);
        }
    }

    // The suppressed numbers that are the same in every table searched.
    std::vector<Disclosure> leaks() {
        for (const std::size_t i : hidden_) {
            if (varies_[i]) continue;  // an earlier table already moved it
            const auto truth = static_cast<std::int64_t>(t_.numbers[i]);
            if (!find(i, 1, truth - 1)) find(i, truth + 1, bound_);
        }
        std::vector<Disclosure> found;
        for (const std::size_t i : hidden_) {
            if (!varies_[i]) found.push_back({t_.names[i], static_cast<std::int64_t>(t_.numbers[i]), t_.numbers[i]});
        }
        return found;
    }

private:
    static constexpr std::uint64_t budget = 5'000'000;

    // A table with `target` in [lo, hi]; when found, every suppressed number
    // that differs in it from the truth is marked as varying.
    bool find(std::size_t target, std::int64_t lo, std::int64_t hi) {
        if (lo > hi) return false;
        const std::size_t n = t_.numbers.size();
        lo_.assign(n, 1);
        hi_.assign(n, bound_);
        value_.assign(n, 0);
        assigned_.assign(n, false);
        for (std::size_t i = 0; i < n; ++i) {
            if (t_.hidden[i]) continue;
            value_[i] = static_cast<std::int64_t>(t_.numbers[i]);
            assigned_[i] = true;
        }
        lo_[target] = std::max<std::int64_t>(lo, 1);
        hi_[target] = std::min(hi, bound_);
        order_ = {target};
        for (const std::size_t i : hidden_) {
            if (i != target) order_.push_back(i);
        }
        if (!descend(0)) return false;
        for (const std::size_t i : hidden_) {
            if (value_[i] != static_cast<std::int64_t>(t_.numbers[i])) varies_[i] = true;
        }
        return true;
    }

    // The least and greatest a sum's terms can add up to, leaving out `skip`.
    std::pair<std::int64_t, std::int64_t> reach(std::size_t sum, std::size_t skip) const {
        std::int64_t least = 0;
        std::int64_t most = 0;
        for (const auto& term : t_.sums[sum]) {
            if (term.number == skip) continue;
            if (assigned_[term.number]) {
                least += term.factor * value_[term.number];
                most += term.factor * value_[term.number];
            } else if (term.factor > 0) {
                least += lo_[term.number];
                most += hi_[term.number];
            } else {
                least -= hi_[term.number];
                most -= lo_[term.number];
            }
        }
        return {least, most};
    }

    bool reachable() const {
        for (std::size_t s = 0; s < t_.sums.size(); ++s) {
            const auto [least, most] = reach(s, t_.numbers.size());
            if (least > 0 || most < 0) return false;
        }
        return true;
    }

    bool descend(std::size_t depth) {
        if (++nodes_ > budget) throw std::runtime_error("bounded checker: the table is too large to search");
        if (depth == order_.size()) return true;  // every sum reachable with all assigned: every sum holds
        const std::size_t i = order_[depth];
        std::int64_t lo = lo_[i];
        std::int64_t hi = hi_[i];
        for (const std::size_t s : sums_of_[i]) {
            const auto [least, most] = reach(s, i);
            std::int64_t factor = 0;
            for (const auto& term : t_.sums[s]) {
                if (term.number == i) factor = term.factor;
            }
            // factor * x + rest == 0 with rest in [least, most]
            lo = std::max(lo, factor > 0 ? -most : least);
            hi = std::min(hi, factor > 0 ? -least : most);
        }
        for (std::int64_t x = lo; x <= hi; ++x) {
            value_[i] = x;
            assigned_[i] = true;
            if (reachable() && descend(depth + 1)) return true;
            assigned_[i] = false;
        }
        return false;
    }

    const Table& t_;
    std::int64_t bound_;
    std::vector<std::vector<std::size_t>> sums_of_;
    std::vector<std::size_t> hidden_;
    std::vector<bool> varies_;
    std::vector<std::int64_t> lo_;
    std::vector<std::int64_t> hi_;
    std::vector<std::int64_t> value_;
    std::vector<bool> assigned_;
    std::vector<std::size_t> order_;
    std::uint64_t nodes_ = 0;
};

// The bound the tests search with (see above).
std::int64_t bound_of(const Table& t) {
    const auto grand = static_cast<std::int64_t>(t.numbers[t.grand]);
    return t.hidden[t.grand] ? grand + 2 : grand;
}

std::vector<Disclosure> bounded_leaks(const Table& t) { return BoundedChecker(t, bound_of(t)).leaks(); }

::testing::AssertionResult nothing_leaked(const Table& t) {
    const auto found = bounded_leaks(t);
    if (found.empty()) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << "pinned by the published numbers and the bound >= 1:";
    for (const auto& d : found) failure << " " << d.name << " = " << d.truth << ";";
    return failure;
}

// ------------------------------------------------------------ helpers ---

// "x" suppressed, "." published; cells, then "|" and the total(s). For 2-D
// one line per row with its row total, and a last line of column totals
// with the grand total.
std::string pattern(const Suppressed1D& s) {
    std::string line;
    for (const bool b : s.cells) line += b ? 'x' : '.';
    return line + '|' + (s.total ? 'x' : '.');
}

std::vector<std::string> pattern(std::size_t rows, std::size_t cols, const Suppressed2D& s) {
    std::vector<std::string> lines;
    for (std::size_t r = 0; r < rows; ++r) {
        std::string line;
        for (std::size_t c = 0; c < cols; ++c) line += s.cells[r * cols + c] ? 'x' : '.';
        lines.push_back(line + '|' + (s.row_totals[r] ? 'x' : '.'));
    }
    std::string last;
    for (const bool b : s.col_totals) last += b ? 'x' : '.';
    lines.push_back(last + '|' + (s.total ? 'x' : '.'));
    return lines;
}

using Lines = std::vector<std::string>;

// The table for a failure message: its numbers, suppressed ones starred,
// laid out like pattern().
std::string drawn(const Table& t, std::size_t rows, std::size_t cols) {
    const auto number = [&](std::size_t i) {
        const std::string n = std::to_string(t.numbers[i]);
        return std::string(n.size() < 3 ? 3 - n.size() : 0, ' ') + n + (t.hidden[i] ? "*" : " ");
    };
    std::string out = "\n";
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) out += number(r * cols + c);
        out += " |" + number(rows * cols + r) + "\n";
    }
    for (std::size_t c = 0; c < cols; ++c) out += number(rows * cols + rows + c);
    return out + " |" + number(t.grand);
}

// Which checkers judge a table: the bounded one searches, so small tables only.
enum class Checkers { linear, linear_and_bounded };

// Suppresses, checks the rules and the checkers, and returns the pattern.
std::string checked_1d(const Counts& cells, std::uint64_t k, Checkers checkers = Checkers::linear_and_bounded) {
    const Suppressed1D s = suppress_1d(cells, k);
    EXPECT_EQ(s.cells.size(), cells.size());
    const Table t = table_1d(cells, s);
    const std::string table = "k = " + std::to_string(k) + ", pattern " + pattern(s) + drawn(t, 0, cells.size());
    EXPECT_TRUE(rules_hold(t, k)) << table;
    EXPECT_TRUE(nothing_recomputable(t)) << table;
    if (checkers == Checkers::linear_and_bounded) {
        EXPECT_TRUE(nothing_leaked(t)) << table;
    }
    return pattern(s);
}

Lines checked_2d(std::size_t rows, std::size_t cols, const Counts& cells, std::uint64_t k,
                 Checkers checkers = Checkers::linear_and_bounded) {
    const Suppressed2D s = suppress_2d(rows, cols, cells, k);
    EXPECT_EQ(s.cells.size(), rows * cols);
    EXPECT_EQ(s.row_totals.size(), rows);
    EXPECT_EQ(s.col_totals.size(), cols);
    const Table t = table_2d(rows, cols, cells, s);
    const std::string table = "k = " + std::to_string(k) + drawn(t, rows, cols);
    EXPECT_TRUE(rules_hold(t, k)) << table;
    EXPECT_TRUE(nothing_recomputable(t)) << table;
    if (checkers == Checkers::linear_and_bounded) {
        EXPECT_TRUE(nothing_leaked(t)) << table;
    }
    return pattern(rows, cols, s);
}

// Reproducible everywhere: mt19937_64's output is fixed by the standard,
// unlike the standard distributions.
class Dice {
public:
    explicit Dice(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t below(std::uint64_t n) { return engine_() % n; }

    // Mostly zeros and small counts, the cases that need suppression.
    std::uint64_t count() {
        const std::uint64_t roll = below(100);
        if (roll < 35) return 0;
        if (roll < 75) return 1 + below(4);
        return 5 + below(40);
    }

private:
    std::mt19937_64 engine_;
};

// ---------------------------------------------- the checker on its own ---

// A checker that finds nothing would pass every test: show it finds the
// classic disclosures, with the right values.
TEST(SuppressionChecker, recomputes_a_lone_suppressed_cell) {
    const Counts cells{2, 10, 8, 9};
    Suppressed2D s{{true, false, false, false}, {false, false}, {false, false}, false};
    const auto found = disclosures(table_2d(2, 2, cells, s));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].name, "cell (0,0)");
    EXPECT_EQ(found[0].recomputed, 2);
}

TEST(SuppressionChecker, recomputes_two_cells_of_a_row_through_their_columns) {
    const Counts cells{3, 4, 5, 6};
    Suppressed2D s{{true, true, false, false}, {false, false}, {false, false}, false};
    const auto found = disclosures(table_2d(2, 2, cells, s));
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].recomputed, 3);
    EXPECT_EQ(found[1].recomputed, 4);
}

TEST(SuppressionChecker, recomputes_a_cell_hidden_with_its_equal_row_total) {
    // Row 0 is {5, 0}: its total equals the cell, yet column 0 still gives it away.
    const Counts cells{5, 0, 3, 4};
    Suppressed2D s{{true, false, false, false}, {true, false}, {false, false}, false};
    const auto found = disclosures(table_2d(2, 2, cells, s));
    ASSERT_EQ(found.size(), 2u);
    for (const auto& d : found) EXPECT_EQ(d.recomputed, 5) << d.name;
}

TEST(SuppressionChecker, accepts_a_hidden_rectangle) {
    const Counts cells{1, 7, 3, 8, 2, 6, 4, 5, 9};
    Suppressed2D s{{true, true, false, true, true, false, false, false, false}, {false, false, false},
                   {false, false, false}, false};
    EXPECT_TRUE(disclosures(table_2d(3, 3, cells, s)).empty());
}

TEST(SuppressionChecker, recomputes_a_lone_suppressed_cell_in_one_dimension) {
    const auto found = disclosures(table_1d({4, 1, 6}, Suppressed1D{{false, true, false}, false}));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].recomputed, 1);
    EXPECT_TRUE(disclosures(table_1d({4, 1, 6}, Suppressed1D{{true, true, false}, false})).empty());
}

// The bounded checker finds what the bound gives away, where the linear one
// finds nothing: these are the patterns the rule before the bound accepted.
TEST(SuppressionChecker, bound_pins_two_ones_beside_a_published_cell) {
    // x + y = 2 with x, y >= 1.
    const Table t = table_1d({1, 1, 10}, Suppressed1D{{true, true, false}, false});
    EXPECT_TRUE(disclosures(t).empty());
    const auto found = bounded_leaks(t);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].name, "cell 0");
    EXPECT_EQ(found[1].name, "cell 1");
    for (const auto& d : found) EXPECT_EQ(d.recomputed, 1) << d.name;
}

TEST(SuppressionChecker, bound_pins_three_ones) {
    const Table t = table_1d({1, 1, 1, 20}, Suppressed1D{{true, true, true, false}, false});
    EXPECT_TRUE(disclosures(t).empty());
    EXPECT_EQ(bounded_leaks(t).size(), 3u);
    // A 2 among them lets the others move: {2,1,1} and {1,2,1} publish the same.
    EXPECT_TRUE(bounded_leaks(table_1d({2, 1, 1, 20}, Suppressed1D{{true, true, true, false}, false})).empty());
    EXPECT_TRUE(bounded_leaks(table_1d({1, 2, 10}, Suppressed1D{{true, true, false}, false})).empty());
}

TEST(SuppressionChecker, bound_pins_a_rectangle_of_ones) {
    // The four 1s form a cycle (linearly safe), but every move along it
    // takes one of them to 0.
    const Counts cells{1, 1, 8, 1, 1, 8};
    const Suppressed2D s{{true, true, false, true, true, false}, {false, false}, {false, false, false}, false};
    EXPECT_TRUE(disclosures(table_2d(2, 3, cells, s)).empty());
    const auto found = bounded_leaks(table_2d(2, 3, cells, s));
    ASSERT_EQ(found.size(), 4u);
    for (const auto& d : found) EXPECT_EQ(d.recomputed, 1) << d.name;
    // With 5s on the other diagonal the same cycle moves: 2 4 / 4 2.
    const Suppressed2D diagonal{{true, true, true, true}, {false, false}, {false, false}, false};
    EXPECT_TRUE(bounded_leaks(table_2d(2, 2, {1, 5, 5, 1}, diagonal)).empty());
}

TEST(SuppressionChecker, bound_pins_margins_of_one) {
    // 1 0 / 0 1 with every 1 suppressed and the grand total 2 published:
    // the two diagonal cells add up to 2, each at least 1.
    const Counts cells{1, 0, 0, 1};
    Suppressed2D s{{true, false, false, true}, {true, true}, {true, true}, false};
    const Table t = table_2d(2, 2, cells, s);
    EXPECT_TRUE(disclosures(t).empty());
    EXPECT_EQ(bounded_leaks(t).size(), 6u);
    s.total = true;  // then all of them can go up by one together
    EXPECT_TRUE(bounded_leaks(table_2d(2, 2, cells, s)).empty());
}

TEST(SuppressionChecker, bounded_finds_what_the_linear_one_finds) {
    const Counts cells{2, 10, 8, 9};
    const Suppressed2D s{{true, false, false, false}, {false, false}, {false, false}, false};
    const auto found = bounded_leaks(table_2d(2, 2, cells, s));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].name, "cell (0,0)");
    EXPECT_EQ(found[0].recomputed, 2);
    const Suppressed2D hidden{{true, true, true, true}, {false, false}, {false, false}, false};
    EXPECT_TRUE(bounded_leaks(table_2d(2, 2, {3, 4, 5, 6}, hidden)).empty());
    EXPECT_EQ(bounded_leaks(table_1d({4, 1, 6}, Suppressed1D{{false, true, false}, false})).size(), 1u);
}

// --------------------------------------------------------------- 1-D ---

TEST(Suppression1D, publishes_a_table_without_small_numbers) {
    EXPECT_EQ(checked_1d({5, 7, 0, 9}, 3), "....|.");
}

TEST(Suppression1D, pairs_a_lone_small_cell_with_the_smallest_other_cell) {
    // total - others would give the 1 away; the first of the two 4s is taken.
    EXPECT_EQ(checked_1d({10, 1, 4, 4, 0}, 3), ".xx..|.");
}

TEST(Suppression1D, two_small_cells_protect_each_other) {
    EXPECT_EQ(checked_1d({1, 2, 9}, 3), "xx.|.");
}

TEST(Suppression1D, a_lone_cell_equal_to_the_total_hides_the_total) {
    EXPECT_EQ(checked_1d({0, 2, 0}, 3), ".x.|x");
}

TEST(Suppression1D, a_small_total_is_suppressed_with_its_cells) {
    EXPECT_EQ(checked_1d({1, 1, 0}, 3), "xx.|x");
}

TEST(Suppression1D, k_one_suppresses_nothing) {
    EXPECT_EQ(checked_1d({1, 1, 0, 2}, 1), "....|.");
    EXPECT_EQ(checked_1d({1, 1, 0, 2}, 0), "....|.");
}

TEST(Suppression1D, k_five) {
    EXPECT_EQ(checked_1d({4, 5, 6, 0, 12}, 5), "xx...|.");
}

TEST(Suppression1D, empty_and_all_zero_tables) {
    EXPECT_EQ(checked_1d({}, 3), "|.");
    EXPECT_EQ(checked_1d({0, 0}, 3), "..|.");
}

// --------------------------------------------------------------- 2-D ---

TEST(Suppression2D, publishes_a_table_without_small_numbers) {
    EXPECT_EQ(checked_2d(2, 2, {5, 7, 0, 9}, 3), (Lines{"..|.", "..|.", "..|."}));
}

TEST(Suppression2D, closes_a_lone_small_cell_with_the_cheapest_rectangle) {
    // Row total minus 10 and 12 would give the 2 away. Cheapest cover:
    // 10 + 9 + 8 (27) rather than 12 + 15 + 8 (35); no margin touched.
    EXPECT_EQ(checked_2d(2, 3, {2, 10, 12, 8, 9, 15}, 3), (Lines{"xx.|.", "xx.|.", "...|."}));
}

TEST(Suppression2D, takes_the_only_other_non_zero_cell_of_the_row) {
    EXPECT_EQ(checked_2d(2, 3, {1, 0, 7, 5, 6, 4}, 3), (Lines{"x.x|.", "x.x|.", "...|."}));
}

TEST(Suppression2D, small_cells_alone_in_their_columns_hide_their_column_totals) {
    // Each column total equals its cell, so it is small too; the four form a
    // cycle and nothing more is needed.
    EXPECT_EQ(checked_2d(2, 3, {1, 2, 20, 0, 0, 30}, 3), (Lines{"xx.|.", "...|.", "xx.|."}));
}

TEST(Suppression2D, a_small_row_total_is_protected_by_another_row_total) {
    EXPECT_EQ(checked_2d(2, 3, {1, 1, 0, 5, 6, 7}, 3), (Lines{"xx.|x", "xx.|x", "...|."}));
}

TEST(Suppression2D, a_small_grand_total_hides_every_non_zero_number) {
    EXPECT_EQ(checked_2d(2, 2, {1, 0, 0, 1}, 3), (Lines{"x.|x", ".x|x", "xx|x"}));
}

TEST(Suppression2D, one_row_hides_the_column_totals_that_repeat_its_cells) {
    EXPECT_EQ(checked_2d(1, 3, {1, 5, 7}, 3), (Lines{"xx.|.", "xx.|."}));
}

TEST(Suppression2D, one_column_hides_the_row_totals_that_repeat_its_cells) {
    EXPECT_EQ(checked_2d(3, 1, {1, 5, 7}, 3), (Lines{"x|x", "x|x", ".|.", ".|."}));
}

TEST(Suppression2D, goes_round_a_zero_partner_through_a_margin) {
    // Column 0 is {2, 0}: the only partner in the column is a zero, so the
    // column total (equal to the cell, small) and a margin of column 2 close it.
    EXPECT_EQ(checked_2d(2, 3, {2, 0, 5, 0, 0, 6}, 3), (Lines{"x.x|.", "...|.", "x.x|."}));
}

TEST(Suppression2D, prefers_margins_to_the_grand_total_when_partners_are_zero) {
    // {1, 0; 0, 9}: every partner of the 1 is a zero. Either the grand total
    // or the 9s with their margins go; the grand total is kept.
    EXPECT_EQ(checked_2d(2, 2, {1, 0, 0, 9}, 3), (Lines{"x.|x", ".x|x", "xx|."}));
}

TEST(Suppression2D, all_small_cells_protect_each_other) {
    const Counts cells{1, 2, 1, 2, 1, 2, 1, 1, 2};
    EXPECT_EQ(checked_2d(3, 3, cells, 3), (Lines{"xxx|.", "xxx|.", "xxx|.", "...|."}));
    // With k = 5 the margins of 4 go as well; the 5s stay.
    EXPECT_EQ(checked_2d(3, 3, cells, 5), (Lines{"xxx|x", "xxx|.", "xxx|x", "xx.|."}));
}

TEST(Suppression2D, margins_equal_to_a_single_cell) {
    // Row 0 and column 2 each hold a single non-zero cell, so their totals repeat it.
    const Counts cells{0, 3, 0, 4, 5, 0, 7, 0, 8};
    checked_2d(3, 3, cells, 4);
    checked_2d(3, 3, cells, 5);
    checked_2d(3, 3, {0, 9, 0, 1, 5, 6, 7, 4, 8}, 3);
}

// Patterns the rule before the bound accepted and the bounded checker refuses.
TEST(Suppression1D, two_ones_need_a_third_cell) {
    // Hiding only the 1s: 12 - 10 = 2 and each at least 1.
    EXPECT_EQ(checked_1d({1, 1, 10}, 3), "xxx|.");
    EXPECT_EQ(checked_1d({1, 1, 1, 20}, 3), "xxxx|.");
    EXPECT_EQ(checked_1d({10, 1, 0, 1, 4}, 3), ".x.xx|.");
}

TEST(Suppression1D, a_two_lets_the_ones_move) {
    EXPECT_EQ(checked_1d({1, 2, 10}, 3), "xx.|.");
    EXPECT_EQ(checked_1d({2, 1, 1, 9}, 3), "xxx.|.");
    EXPECT_EQ(checked_1d({1, 1, 2}, 3), "xxx|.");
}

TEST(Suppression1D, a_total_of_one_moves_with_its_cell) {
    EXPECT_EQ(checked_1d({1, 0, 0}, 2), "x..|x");
    EXPECT_EQ(checked_1d({0, 0, 1}, 3), "..x|x");
    EXPECT_EQ(checked_1d({1, 1}, 3), "xx|x");
}

TEST(Suppression2D, a_rectangle_of_ones_needs_more_than_itself) {
    // Every move along the four 1s takes one of them to 0.
    EXPECT_EQ(checked_2d(3, 3, {1, 1, 8, 1, 1, 8, 8, 8, 8}, 2), (Lines{"xxx|.", "xxx|.", "xxx|.", "...|."}));
    // With only two rows the column of 8s cannot close it: the margins do.
    EXPECT_EQ(checked_2d(2, 3, {1, 1, 8, 1, 1, 8}, 2), (Lines{"xxx|.", "xxx|.", "xxx|."}));
    EXPECT_EQ(checked_2d(2, 3, {1, 1, 8, 1, 1, 8}, 3), (Lines{"xxx|.", "xxx|.", "xxx|."}));
}

TEST(Suppression2D, a_rectangle_with_room_to_move_is_enough) {
    EXPECT_EQ(checked_2d(2, 2, {1, 5, 5, 1}, 3), (Lines{"xx|.", "xx|.", "..|."}));
    EXPECT_EQ(checked_2d(3, 3, {1, 2, 8, 2, 1, 8, 8, 8, 8}, 3), (Lines{"xx.|.", "xx.|.", "...|.", "...|."}));
    // A 2 beside a 1 in the same row is no help: it goes down with the other 1.
    EXPECT_EQ(checked_2d(3, 3, {1, 2, 8, 1, 1, 8, 8, 8, 8}, 3), (Lines{"xx.|.", "xxx|.", "xxx|.", "...|."}));
}

TEST(Suppression2D, margins_of_one_are_at_least_one_too) {
    // Published grand total 2 = two diagonal 1s: it has to go.
    EXPECT_EQ(checked_2d(2, 2, {1, 0, 0, 1}, 2), (Lines{"x.|x", ".x|x", "xx|x"}));
    EXPECT_EQ(checked_2d(2, 2, {1, 1, 1, 1}, 2), (Lines{"xx|x", "xx|x", "xx|x"}));
    EXPECT_EQ(checked_2d(2, 3, {1, 0, 0, 3, 4, 5}, 2), (Lines{"x..|x", "x..|x", "...|."}));
    checked_2d(3, 3, {1, 1, 0, 1, 1, 0, 0, 0, 9}, 2);
    checked_2d(3, 3, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 2);
    checked_2d(3, 3, {1, 0, 0, 0, 1, 0, 0, 0, 1}, 4);
    checked_2d(1, 3, {1, 1, 0}, 2);
    checked_2d(3, 1, {1, 0, 1}, 2);
}

TEST(Suppression2D, k_one_suppresses_nothing) {
    const Counts cells{1, 0, 2, 1};
    EXPECT_EQ(checked_2d(2, 2, cells, 1), (Lines{"..|.", "..|.", "..|."}));
    EXPECT_EQ(checked_2d(2, 2, cells, 0), (Lines{"..|.", "..|.", "..|."}));
}

TEST(Suppression2D, k_five) {
    checked_2d(3, 4, {4, 12, 0, 7, 9, 3, 15, 6, 0, 8, 11, 20}, 5);
}

TEST(Suppression2D, empty_dimensions) {
    EXPECT_EQ(checked_2d(0, 3, {}, 3), (Lines{"...|."}));
    EXPECT_EQ(checked_2d(2, 0, {}, 3), (Lines{"|.", "|.", "|."}));
}

TEST(Suppression2D, refuses_cells_that_do_not_fit_the_shape) {
    EXPECT_THROW(suppress_2d(2, 2, {1, 2, 3}, 3), kim::Error);
}

// ------------------------------------------------------- properties ---

TEST(SuppressionProperty, random_one_dimensional_tables_are_safe_and_deterministic) {
    Dice dice(20240611);
    for (int round = 0; round < 300; ++round) {
        Counts cells(1 + dice.below(12));
        for (auto& n : cells) n = dice.count();
        const std::uint64_t k = 2 + dice.below(4);
        SCOPED_TRACE("round " + std::to_string(round) + ", k = " + std::to_string(k));
        const std::string first = checked_1d(cells, k, Checkers::linear);
        EXPECT_EQ(pattern(suppress_1d(cells, k)), first);
    }
}

TEST(SuppressionProperty, random_two_dimensional_tables_are_safe_and_deterministic) {
    Dice dice(7350913);
    for (int round = 0; round < 500; ++round) {
        const std::size_t rows = 1 + dice.below(8);
        const std::size_t cols = 1 + dice.below(8);
        Counts cells(rows * cols);
        for (auto& n : cells) n = dice.count();
        const std::uint64_t k = 2 + dice.below(4);
        SCOPED_TRACE("round " + std::to_string(round) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                     ", k = " + std::to_string(k));
        const Lines first = checked_2d(rows, cols, cells, k, Checkers::linear);
        EXPECT_EQ(pattern(rows, cols, suppress_2d(rows, cols, cells, k)), first);
    }
}

// Small tables the bounded checker can search: up to 3 x 3 (6 cells in one
// dimension), counts 0..5, a quarter of them zeros.
std::uint64_t small_count(Dice& dice) { return dice.below(4) == 0 ? 0 : 1 + dice.below(5); }

TEST(SuppressionProperty, random_small_one_dimensional_tables_leak_nothing) {
    Dice dice(5318008);
    for (int round = 0; round < 300; ++round) {
        Counts cells(1 + dice.below(6));
        for (auto& n : cells) n = small_count(dice);
        const std::uint64_t k = 2 + dice.below(3);
        SCOPED_TRACE("round " + std::to_string(round) + ", k = " + std::to_string(k));
        const std::string first = checked_1d(cells, k);
        EXPECT_EQ(pattern(suppress_1d(cells, k)), first);
    }
}

TEST(SuppressionProperty, random_small_two_dimensional_tables_leak_nothing) {
    Dice dice(1618033);
    for (int round = 0; round < 1000; ++round) {
        const std::size_t rows = 1 + dice.below(3);
        const std::size_t cols = 1 + dice.below(3);
        Counts cells(rows * cols);
        for (auto& n : cells) n = small_count(dice);
        const std::uint64_t k = 2 + dice.below(3);
        SCOPED_TRACE("round " + std::to_string(round) + ": " + std::to_string(rows) + " x " + std::to_string(cols) +
                     ", k = " + std::to_string(k));
        const Lines first = checked_2d(rows, cols, cells, k);
        EXPECT_EQ(pattern(rows, cols, suppress_2d(rows, cols, cells, k)), first);
    }
}

TEST(SuppressionProperty, a_large_sparse_table_is_safe) {
    // The size of the biggest real table (sites x quarters, needs x levels)
    // and more; mostly small counts so that many cycles must be built.
    Dice dice(99);
    const std::size_t rows = 30;
    const std::size_t cols = 30;
    Counts cells(rows * cols);
    for (auto& n : cells) n = dice.below(3) == 0 ? dice.count() : 0;
    checked_2d(rows, cols, cells, 4, Checkers::linear);
}

TEST(SuppressionProperty, a_dense_forty_by_forty_table_is_safe) {
    // Dense and mostly small: hundreds of cycles. 40 rather than 100 keeps
    // this file quick in a Debug build (100 x 100 takes 7 s of CPU there,
    // under a second optimised).
    Dice dice(4242);
    const std::size_t side = 40;
    Counts cells(side * side);
    for (auto& n : cells) n = dice.count();
    checked_2d(side, side, cells, 3, Checkers::linear);
}

}  // namespace
