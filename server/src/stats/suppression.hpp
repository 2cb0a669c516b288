// Small-cell suppression of a published table (docs/protocol.md
// "Statistics", docs/decisions.md). A table publishes its cells, its margins
// (row and column totals, 2-D only) and its grand total. Primary: every
// published number n with 1 <= n < k is suppressed. Secondary: further
// numbers are suppressed until no suppressed one can be recomputed from the
// published ones through the table's sums (each row's cells add up to its row
// total, each column's to its column total, the totals to the grand total),
// not even with the bound every reader knows: zero is published as zero and
// never suppressed (an empty cell names no one), so a suppressed number is at
// least 1. Safe means: another table with the same published numbers and
// every suppressed one at least 1 differs in that number.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kim::server::stats {

struct Suppressed1D {
    std::vector<bool> cells;  // one per input cell
    bool total = false;
};

// A 1-D table: cells and their total. A suppressed cell is safe when it can
// go up by one while another suppressed cell of at least 2 goes down (or the
// suppressed total up), or down from at least 2 while another goes up; the
// secondary pick is the smallest open cell that makes it so, the total only
// when no cell can.
Suppressed1D suppress_1d(const std::vector<std::uint64_t>& cells, std::uint64_t k);

struct Suppressed2D {
    std::vector<bool> cells;       // rows * cols, row-major like the input
    std::vector<bool> row_totals;  // one per row
    std::vector<bool> col_totals;  // one per column
    bool total = false;
};

// A 2-D table (rows * cols cells, row-major). Seen as a bipartite graph of
// rows and columns (the totals row and column included), the suppressed
// numbers are edges; the tables that publish the same numbers differ by
// moves along cycles (+1, -1 alternately, margins counted negatively). A
// suppressed number is safe when a cycle of suppressed numbers can move it by
// one with none of them going below 1. Secondary suppression gives each
// unsafe number the cheapest such cycle: already suppressed numbers cost
// nothing, inner cells their count, margins far more, the grand total most;
// zeros are never picked. The same table always gives the same answer. Throws
// kim::Error when cells.size() != rows * cols.
Suppressed2D suppress_2d(std::size_t rows, std::size_t cols, const std::vector<std::uint64_t>& cells,
                         std::uint64_t k);

}  // namespace kim::server::stats
