// Small-cell suppression: the primary rule (1 <= n < k) and the secondary
// suppression that keeps every suppressed number from being recomputed
// through the table's sums (see suppression.hpp for the model).
#include "suppression.hpp"

#include <algorithm>
#include <compare>
#include <limits>
#include <optional>
#include <string>

#include "kim/shared/errors.hpp"

namespace kim::server::stats {

namespace {

bool is_primary(std::uint64_t n, std::uint64_t k) { return n >= 1 && n < k; }

// ---------------------------------------------------------------- 1-D ---

// With one equation (cells add up to the total) a suppressed number stays
// unknown when the others can give way by one: one more here, one less in
// another suppressed cell of at least 2 (or one more in the suppressed
// total), or the other way round. One less may not go below 1: zero is always
// published, so every suppressed number is known to be at least 1.
bool protected_1d(const std::vector<std::uint64_t>& cells, const std::vector<bool>& suppressed, bool total_suppressed,
                  std::size_t e) {
    if (total_suppressed) return true;  // e + 1 and the total + 1
    for (std::size_t f = 0; f < cells.size(); ++f) {
        if (f == e || !suppressed[f]) continue;
        if (cells[f] >= 2 || cells[e] >= 2) return true;
    }
    return false;
}

// The smallest open cell that can give way to e: one of at least 2, or, when
// e itself can go down, any non-zero one. The first of equals wins.
std::optional<std::size_t> partner_1d(const std::vector<std::uint64_t>& cells, const std::vector<bool>& suppressed,
                                      std::size_t e) {
    std::optional<std::size_t> best;
    for (std::size_t f = 0; f < cells.size(); ++f) {
        if (f == e || suppressed[f] || cells[f] == 0) continue;
        if (cells[f] < 2 && cells[e] < 2) continue;
        if (!best || cells[f] < cells[*best]) best = f;
    }
    return best;
}

// ---------------------------------------------------------------- 2-D ---

// The augmented table: rows+1 by cols+1 numbers, the last row holding the
// column totals, the last column the row totals, the corner the grand total.
// Position (r, c) is the edge between row vertex r and column vertex c.
enum class Place { cell, margin, grand };

struct Position {
    std::size_t r = 0;
    std::size_t c = 0;
};

class Grid {
public:
    Grid(std::size_t rows, std::size_t cols, const std::vector<std::uint64_t>& cells)
        : rows_(rows + 1), cols_(cols + 1), values_(rows_ * cols_, 0), suppressed_(rows_ * cols_, false) {
        for (std::size_t r = 0; r < rows; ++r) {
            for (std::size_t c = 0; c < cols; ++c) {
                const std::uint64_t n = cells[r * cols + c];
                number(r, c) = n;
                number(r, cols) += n;
                number(rows, c) += n;
                number(rows, cols) += n;
            }
        }
    }

    std::size_t rows() const { return rows_; }  // with the totals row
    std::size_t cols() const { return cols_; }  // with the totals column
    std::uint64_t value(Position p) const { return values_[p.r * cols_ + p.c]; }
    bool suppressed(Position p) const { return suppressed_[p.r * cols_ + p.c]; }
    void suppress(Position p) { suppressed_[p.r * cols_ + p.c] = true; }

    Place place(Position p) const {
        const bool last_row = p.r + 1 == rows_;
        const bool last_col = p.c + 1 == cols_;
        if (last_row && last_col) return Place::grand;
        return last_row || last_col ? Place::margin : Place::cell;
    }

private:
    std::uint64_t& number(std::size_t r, std::size_t c) { return values_[r * cols_ + c]; }

    std::size_t rows_;
    std::size_t cols_;
    std::vector<std::uint64_t> values_;
    std::vector<bool> suppressed_;
};

// Vertices: rows 0..R-1 of the augmented table, then its columns R..R+C-1.
struct Vertices {
    std::size_t rows;
    std::size_t cols;
    std::size_t count() const { return rows + cols; }
    bool is_row(std::size_t v) const { return v < rows; }
    std::size_t column_vertex(std::size_t c) const { return rows + c; }
    // The edge between v and w, one of them a row and the other a column.
    Position edge(std::size_t v, std::size_t w) const {
        return is_row(v) ? Position{v, w - rows} : Position{w, v - rows};
    }
    // The far ends of v's possible edges: every column for a row, every row for a column.
    std::size_t first_neighbour(std::size_t v) const { return is_row(v) ? rows : 0; }
    std::size_t end_neighbour(std::size_t v) const { return is_row(v) ? rows + cols : rows; }
};

// What it costs to suppress a further number, compared in this order: the
// grand total is suppressed last of all, then margins, then as few counted
// people as possible, then as few numbers as possible. Comparing the parts
// in order is the "large penalty" without any risk of overflow.
struct Cost {
    std::uint64_t grand = 0;
    std::uint64_t margins = 0;
    std::uint64_t people = 0;
    std::uint64_t numbers = 0;

    auto operator<=>(const Cost&) const = default;

    Cost operator+(const Cost& o) const {
        return {grand + o.grand, margins + o.margins, saturating_add(people, o.people), numbers + o.numbers};
    }

    static std::uint64_t saturating_add(std::uint64_t a, std::uint64_t b) {
        return a > std::numeric_limits<std::uint64_t>::max() - b ? std::numeric_limits<std::uint64_t>::max() : a + b;
    }
};

// nullopt: the number may not be taken (a zero, never suppressed).
std::optional<Cost> cost_of(const Grid& grid, Position p) {
    if (grid.suppressed(p)) return Cost{};
    const std::uint64_t n = grid.value(p);
    if (n == 0) return std::nullopt;
    switch (grid.place(p)) {
    case Place::grand: return Cost{1, 0, n, 1};
    case Place::margin: return Cost{0, 1, n, 1};
    case Place::cell: break;
    }
    return Cost{0, 0, n, 1};
}

// How a number changes when its edge is walked from v to w along a cycle:
// the augmented table's vertex sums stay zero when the numbers walked from a
// row go up by one and those walked from a column go down by one, with the
// margins counted negatively (a row's cells minus its total is zero).
int change_when_walked(const Grid& grid, const Vertices& vertices, std::size_t from, Position e) {
    const int walked = vertices.is_row(from) ? +1 : -1;
    return grid.place(e) == Place::margin ? -walked : walked;
}

// Whether the number may take part in a cycle that moves it by `change`:
// never a zero, and never below 1 (every suppressed number is known to be at
// least 1, since zeros are published).
bool may_move(const Grid& grid, Position e, int change) {
    const std::uint64_t n = grid.value(e);
    return n != 0 && (change > 0 || n >= 2);
}

struct Cycle {
    Cost cost;
    std::vector<Position> path;  // the numbers besides the one closed
};

// The cheapest cycle through `closing` that moves it by `change` (+1 or -1)
// with every other number on it kept at 1 or more: Dijkstra over the dense
// bipartite graph from one end of `closing` to the other (O(V^2) is plenty
// for tables of a few hundred rows and columns). Ties go to the lower vertex
// and to the first path found, so the answer is deterministic. Cost zero:
// the suppressed numbers already hold such a cycle.
std::optional<Cycle> cheapest_cycle(const Grid& grid, Position closing, int change) {
    const Vertices vertices{grid.rows(), grid.cols()};
    const std::size_t row = closing.r;
    const std::size_t column = vertices.column_vertex(closing.c);
    // Walking `closing` from its row moves it by change_when_walked(row); the
    // cycle then runs on from its column back to its row, or the other way.
    const bool from_row = change_when_walked(grid, vertices, row, closing) == change;
    if (!may_move(grid, closing, change)) return std::nullopt;
    const std::size_t source = from_row ? column : row;
    const std::size_t target = from_row ? row : column;
    std::vector<std::optional<Cost>> best(vertices.count());
    std::vector<std::size_t> previous(vertices.count(), 0);
    std::vector<bool> done(vertices.count(), false);
    best[source] = Cost{};

    while (true) {
        std::optional<std::size_t> v;
        for (std::size_t u = 0; u < vertices.count(); ++u) {
            if (!done[u] && best[u] && (!v || *best[u] < *best[*v])) v = u;
        }
        if (!v) return std::nullopt;
        if (*v == target) break;
        done[*v] = true;
        for (std::size_t w = vertices.first_neighbour(*v); w < vertices.end_neighbour(*v); ++w) {
            const Position e = vertices.edge(*v, w);
            if (done[w] || (e.r == closing.r && e.c == closing.c)) continue;
            if (!may_move(grid, e, change_when_walked(grid, vertices, *v, e))) continue;
            const auto step = cost_of(grid, e);
            if (!step) continue;
            const Cost through = *best[*v] + *step;
            if (!best[w] || through < *best[w]) {
                best[w] = through;
                previous[w] = *v;
            }
        }
    }

    Cycle cycle{*best[target], {}};
    for (std::size_t w = target; w != source; w = previous[w]) cycle.path.push_back(vertices.edge(previous[w], w));
    return cycle;
}

// Every non-zero number suppressed. Never reached in practice: a non-zero
// cell always has its row total, column total and the grand total as a way
// around, a margin its non-zero cells and the other margins. Kept so that
// the promise (nothing can be recomputed) holds even if that reasoning fails.
void suppress_every_nonzero(Grid& grid) {
    for (std::size_t r = 0; r < grid.rows(); ++r) {
        for (std::size_t c = 0; c < grid.cols(); ++c) {
            if (grid.value({r, c}) != 0) grid.suppress({r, c});
        }
    }
}

void suppress_primary(Grid& grid, std::uint64_t k) {
    for (std::size_t r = 0; r < grid.rows(); ++r) {
        for (std::size_t c = 0; c < grid.cols(); ++c) {
            if (is_primary(grid.value({r, c}), k)) grid.suppress({r, c});
        }
    }
}

// A suppressed number is safe when some cycle of suppressed numbers can move
// it by one, up or down, with all of them staying at 1 or more: then the
// published numbers fit another table as well, in which it differs. Each
// unsafe one gets the cheaper of its two cheapest cycles. Terminates: every
// number on that cycle is safe from then on (the same cycle moves it), and
// suppressing more never takes a cycle away.
void suppress_secondary(Grid& grid) {
    for (bool added = true; added;) {
        added = false;
        for (std::size_t r = 0; r < grid.rows(); ++r) {
            for (std::size_t c = 0; c < grid.cols(); ++c) {
                const Position e{r, c};
                if (!grid.suppressed(e)) continue;
                std::optional<Cycle> best;
                for (const int change : {+1, -1}) {
                    auto cycle = cheapest_cycle(grid, e, change);
                    if (cycle && (!best || cycle->cost < best->cost)) best = std::move(cycle);
                }
                if (!best) {
                    suppress_every_nonzero(grid);
                    return;
                }
                if (best->cost == Cost{}) continue;
                for (const Position& p : best->path) grid.suppress(p);
                added = true;
            }
        }
    }
}

Suppressed2D result_of(const Grid& grid, std::size_t rows, std::size_t cols) {
    Suppressed2D out;
    out.cells.reserve(rows * cols);
    for (std::size_t r = 0; r < rows; ++r) {
        for (std::size_t c = 0; c < cols; ++c) out.cells.push_back(grid.suppressed({r, c}));
        out.row_totals.push_back(grid.suppressed({r, cols}));
    }
    for (std::size_t c = 0; c < cols; ++c) out.col_totals.push_back(grid.suppressed({rows, c}));
    out.total = grid.suppressed({rows, cols});
    return out;
}

}  // namespace

Suppressed1D suppress_1d(const std::vector<std::uint64_t>& cells, std::uint64_t k) {
    Suppressed1D out;
    out.cells.resize(cells.size(), false);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < cells.size(); ++i) {
        total += cells[i];
        out.cells[i] = is_primary(cells[i], k);
    }
    out.total = is_primary(total, k);
    // Each pass makes at least one more number suppressed, so this ends.
    for (bool added = true; added;) {
        added = false;
        for (std::size_t e = 0; e < cells.size() && !added; ++e) {
            if (!out.cells[e] || protected_1d(cells, out.cells, out.total, e)) continue;
            if (const auto partner = partner_1d(cells, out.cells, e)) {
                out.cells[*partner] = true;
            } else {
                out.total = true;
            }
            added = true;
        }
        const bool some_cell = std::find(out.cells.begin(), out.cells.end(), true) != out.cells.end();
        if (!added && out.total && !some_cell) {
            // The total alone would be the sum of the published cells: one
            // of them must go with it (it then moves up with the total).
            std::optional<std::size_t> smallest;
            for (std::size_t f = 0; f < cells.size(); ++f) {
                if (cells[f] != 0 && (!smallest || cells[f] < cells[*smallest])) smallest = f;
            }
            if (smallest) {
                out.cells[*smallest] = true;
                added = true;
            }
        }
    }
    return out;
}

Suppressed2D suppress_2d(std::size_t rows, std::size_t cols, const std::vector<std::uint64_t>& cells,
                         std::uint64_t k) {
    if (cells.size() != rows * cols) {
        throw Error("suppress_2d: " + std::to_string(cells.size()) + " cells for a table of " + std::to_string(rows) +
                    " x " + std::to_string(cols));
    }
    Grid grid(rows, cols, cells);
    suppress_primary(grid, k);
    suppress_secondary(grid);
    return result_of(grid, rows, cols);
}

}  // namespace kim::server::stats
