//! The one evaluator of the tables: the value of every body cell of a table
//! for one report, totals computed, built once and read by index.
//!
//! The checker, the rules of the `校验` sheet, the workbook writer and the
//! county summary all read numbers through a [`Grid`]; nothing else sums cells.
//!
//! ```
//! use nianbao::model::Report;
//! use nianbao::spec::grid::Grid;
//! use nianbao::spec::tables::{self, T3Col, T3Row};
//! let mut report = Report::default();
//! report.applications.granted.values = [1, 2, 0, 0, 0, 0];
//! report.applications.other.other.values = [0, 0, 0, 0, 0, 4];
//! let grid = Grid::new(tables::applications(), &report);
//! let (row, col) = T3Row::Total.at(T3Col::Total);
//! assert_eq!(grid.count(row, col), 7);
//! ```

use crate::model::Report;
use crate::spec::tables::{self, Content, Table, TableId, Value};

/// The values of one table's body cells for one report.
///
/// Totals are the sums of their terms ([`Grid::value`]). Besides, each total
/// has the value *as the report states it* ([`Grid::stated`]): the total the
/// clerk typed where there is one, else the sum of the stated terms.
#[derive(Debug, Clone)]
pub struct Grid {
    cols: usize,
    values: Vec<Option<Value>>,
    stated: Vec<u64>,
}

impl Grid {
    /// Evaluates every body cell of `table` for `report`.
    pub fn new(table: &Table, report: &Report) -> Grid {
        let size = table.rows * table.cols;
        let mut grid = Grid {
            cols: table.cols,
            values: vec![None; size],
            stated: vec![0; size],
        };
        for cell in &table.cells {
            if let (Content::Input(input), Some(i)) =
                (&cell.content, grid.index(cell.row, cell.col))
            {
                let value = input.field.get(report);
                grid.values[i] = Some(value);
                if let Value::Count(n) = value {
                    grid.stated[i] = n;
                }
            }
        }
        // Totals may sum totals (（七）总计 × 总计): the description lists a
        // total after the cells it sums, so one pass in reading order is
        // enough (a test of the description holds it to that).
        for cell in &table.cells {
            if let (Content::Total(total), Some(i)) =
                (&cell.content, grid.index(cell.row, cell.col))
            {
                grid.values[i] = Some(Value::Count(grid.sum(&total.terms)));
                grid.stated[i] = total
                    .given
                    .get(report)
                    .unwrap_or_else(|| total.terms.iter().map(|&(r, c)| grid.stated(r, c)).sum());
            }
        }
        grid
    }

    fn index(&self, row: usize, col: usize) -> Option<usize> {
        (col < self.cols)
            .then(|| row * self.cols + col)
            .filter(|&i| i < self.values.len())
    }

    /// The value of the body cell at (`row`, `col`); `None` for a label, a
    /// covered cell or a cell outside the table.
    pub fn value(&self, row: usize, col: usize) -> Option<Value> {
        self.index(row, col).and_then(|i| self.values[i])
    }

    /// The count at (`row`, `col`); 0 for an amount, a label or outside.
    pub fn count(&self, row: usize, col: usize) -> u64 {
        match self.value(row, col) {
            Some(Value::Count(n)) => n,
            _ => 0,
        }
    }

    /// The sum of the counts at `terms`.
    pub fn sum(&self, terms: &[(usize, usize)]) -> u64 {
        terms.iter().map(|&(r, c)| self.count(r, c)).sum()
    }

    /// The count at (`row`, `col`) as the report states it: a total typed by
    /// the clerk where there is one, else as computed from the stated terms.
    pub fn stated(&self, row: usize, col: usize) -> u64 {
        self.index(row, col).map_or(0, |i| self.stated[i])
    }
}

/// The grids of the three tables for one report.
#[derive(Debug, Clone)]
pub struct Figures {
    grids: [Grid; 3],
}

impl Figures {
    /// Evaluates tables 二, 三 and 四 for `report`.
    pub fn new(report: &Report) -> Figures {
        Figures {
            grids: tables::all().map(|t| Grid::new(t, report)),
        }
    }

    /// The grid of table `id`.
    pub fn grid(&self, id: TableId) -> &Grid {
        &self.grids[match id {
            TableId::Active => 0,
            TableId::Applications => 1,
            TableId::ReviewLitigation => 2,
        }]
    }
}

/// Single-cell reads of a table, for callers that need one value: built on
/// [`Grid`] (for more than one cell, build a [`Grid`] once).
impl Table {
    /// The value of the body cell at (`row`, `col`) in `report`; totals are
    /// computed. For more than one cell, build a [`Grid`] once.
    pub fn value(&self, report: &Report, row: usize, col: usize) -> Option<Value> {
        match &self.cell_at(row, col)?.content {
            Content::Label(_) => None,
            Content::Input(input) => Some(input.field.get(report)),
            Content::Total(_) => Grid::new(self, report).value(row, col),
        }
    }

    /// The computed sum of `terms` in `report` (see [`Grid::sum`]).
    pub fn sum(&self, report: &Report, terms: &[(usize, usize)]) -> u64 {
        Grid::new(self, report).sum(terms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::tables::{T2Doc, T2DocCol, T3Col, T3Row, T4Col, T4Group};

    fn report() -> Report {
        let mut r = Report::default();
        r.applications.new.values = [5, 1, 0, 0, 0, 2];
        r.applications.granted.values = [1, 2, 3, 4, 5, 6];
        r.applications.withheld.state_secret.values = [0, 1, 0, 0, 0, 0];
        r.applications.other.fee_overdue.values = [0, 0, 0, 0, 0, 3];
        r.applications.carry_forward.values = [2, 0, 0, 0, 0, 0];
        r.review_litigation.litigation_direct.values = [1, 2, 3, 4];
        r.active.rules.in_force = 9;
        r
    }

    /// Every total is listed after the cells it sums, as [`Grid::new`] needs.
    #[test]
    fn totals_follow_their_terms() {
        for t in tables::all() {
            for (i, c) in t.cells.iter().enumerate() {
                if let Content::Total(total) = &c.content {
                    for &(r, col) in &total.terms {
                        let j = t.cells.iter().position(|d| d.row == r && d.col == col);
                        assert!(j.is_some_and(|j| j < i), "{}", total.words);
                    }
                }
            }
        }
    }

    /// Inputs read the model; a row total is the sum of its six columns.
    #[test]
    fn inputs_and_row_totals() {
        let r = report();
        let g = Grid::new(tables::applications(), &r);
        let (row, col) = T3Row::New.at(T3Col::Other);
        assert_eq!(g.count(row, col), 2);
        let (row, col) = T3Row::New.at(T3Col::Total);
        assert_eq!(g.count(row, col), 8);
        assert_eq!(g.count(row, col), r.applications.new.total());
        let (row, col) = T3Row::CarryForward.at(T3Col::Total);
        assert_eq!(g.count(row, col), 2);
    }

    /// 三（七）总计 × 总计 is a total of totals: the sum of the outcome rows'
    /// totals, which equals the sum of the （七）row's applicant columns.
    #[test]
    fn total_of_totals() {
        let r = report();
        let g = Grid::new(tables::applications(), &r);
        let (row, col) = T3Row::Total.at(T3Col::Total);
        // （一）21 + （三）1 1 + （六）2 3
        assert_eq!(g.count(row, col), 25);
        assert_eq!(g.count(row, col), r.applications.outcomes_total(6));
        for c in T3Col::APPLICANTS {
            let (row, col) = T3Row::Total.at(c);
            assert_eq!(g.count(row, col), r.applications.outcomes_total(c.index()));
        }
        let by_rows: u64 = T3Row::OUTCOMES
            .iter()
            .map(|o| {
                let (row, col) = o.at(T3Col::Total);
                g.count(row, col)
            })
            .sum();
        assert_eq!(by_rows, 25);
    }

    /// Table 四's totals and table 二's inputs; labels and cells outside are 0/None.
    #[test]
    fn review_totals_labels_and_outside() {
        let r = report();
        let figures = Figures::new(&r);
        let g4 = figures.grid(TableId::ReviewLitigation);
        let (row, col) = T4Group::LitigationDirect.at(T4Col::Total);
        assert_eq!(g4.count(row, col), 10);
        let (row, col) = T4Group::Review.at(T4Col::Total);
        assert_eq!(g4.count(row, col), 0);
        let g2 = figures.grid(TableId::Active);
        let (row, col) = T2Doc::Rules.at(T2DocCol::InForce);
        assert_eq!(g2.count(row, col), 9);
        assert_eq!(g4.value(0, 0), None);
        assert_eq!(g4.value(99, 0), None);
        assert_eq!(g4.value(0, 99), None);
        assert_eq!(g4.count(99, 99), 0);
        assert_eq!(g4.stated(99, 99), 0);
    }

    /// A stated total is the one the clerk typed; without one, the sum of the
    /// stated terms (so a typed （七）row is summed as typed).
    #[test]
    fn stated_totals() {
        let mut r = report();
        r.applications.new.given_total = Some(99);
        r.applications.total = Some(crate::model::ApplicantRow {
            values: [4, 0, 0, 0, 0, 1],
            given_total: None,
        });
        let g = Grid::new(tables::applications(), &r);
        let (row, col) = T3Row::New.at(T3Col::Total);
        assert_eq!((g.count(row, col), g.stated(row, col)), (8, 99));
        let (row, col) = T3Row::Total.at(T3Col::NaturalPerson);
        assert_eq!((g.count(row, col), g.stated(row, col)), (1, 4));
        let (row, col) = T3Row::Total.at(T3Col::Total);
        assert_eq!((g.count(row, col), g.stated(row, col)), (25, 5));
    }

    /// The typed rows sit where the description puts their keys.
    #[test]
    fn typed_rows_match_the_description() {
        let t3 = tables::applications();
        for (i, row) in T3Row::ALL.into_iter().enumerate() {
            assert_eq!(row as usize, i);
            for c in T3Col::ALL {
                let (r, col) = row.at(c);
                let key = match t3.cell_at(r, col).map(|c| &c.content) {
                    Some(Content::Input(x)) => x.key.clone(),
                    Some(Content::Total(x)) => x.key.clone(),
                    _ => String::new(),
                };
                assert_eq!(key, format!("applications.{}[{}]", row.key(), c.index()));
            }
        }
        assert!(!T3Row::OUTCOMES.contains(&T3Row::Total));
        assert_eq!(T3Row::OUTCOMES[0], T3Row::Granted);
        assert_eq!(T3Row::OUTCOMES[20], T3Row::Other);
        let t4 = tables::review_litigation();
        for (g, key) in
            T4Group::ALL
                .into_iter()
                .zip(["review", "litigation_direct", "litigation_after_review"])
        {
            let (r, c) = g.at(T4Col::Total);
            assert!(
                matches!(&t4.cell_at(r, c).map(|c| &c.content), Some(Content::Total(t)) if t.key == format!("review_litigation.{key}[4]"))
            );
        }
        let t2 = tables::active();
        let (r, c) = T2Doc::NormativeDocuments.at(T2DocCol::InForce);
        assert!(
            matches!(&t2.cell_at(r, c).map(|c| &c.content), Some(Content::Input(i)) if i.key == "active.normative_documents.in_force")
        );
    }
}
