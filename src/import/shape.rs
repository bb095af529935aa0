//! The neutral shape every format is first turned into: paragraphs and
//! tables in document order. A table is a grid of cells after its merged
//! cells are expanded: each grid position holds the text of the cell that
//! covers it and where that cell starts, so that a number spanning three
//! columns is one number and a label spanning five rows is one label.

use crate::spec::tables::TableId;

/// The most columns a table may have (a hostile `gridSpan` or `colspan` is cut).
pub const MAX_COLS: usize = 64;
/// The most rows a table may have.
pub const MAX_ROWS: usize = 400;
/// The most rows or columns one cell may span.
pub const MAX_SPAN: usize = 64;
/// The most tables one document may hold (the rest are ignored).
pub const MAX_TABLES: usize = 200;

/// A document: paragraphs and tables in order.
#[derive(Debug, Clone, Default)]
pub struct Doc {
    /// The blocks, in document order.
    pub blocks: Vec<Block>,
}

/// A paragraph or a table.
#[derive(Debug, Clone)]
pub enum Block {
    /// The text of one paragraph.
    Para(String),
    /// A table.
    Table(Grid),
}

/// One position of a grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridCell {
    /// The text of the cell covering this position.
    pub text: String,
    /// Where that cell starts (row, column).
    pub origin: (usize, usize),
}

/// A table with its merged cells expanded.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    /// The rows; every row has the same number of positions.
    pub rows: Vec<Vec<GridCell>>,
    /// Recovered from lines of text: the columns carry no usable header, so
    /// numbers are read in the format's column order.
    pub positional: bool,
    /// The table this is known to be (from the section it stands in).
    pub hint: Option<TableId>,
}

impl Grid {
    /// Whether position (`r`, `c`) is where its cell starts.
    pub fn is_origin(&self, r: usize, c: usize) -> bool {
        self.rows
            .get(r)
            .and_then(|row| row.get(c))
            .is_some_and(|cell| cell.origin == (r, c))
    }
}

/// One cell as a source gives it: its text and how far it spans.
#[derive(Debug, Clone)]
pub struct SourceCell {
    /// The text.
    pub text: String,
    /// Columns covered (HTML `colspan`, DOCX `gridSpan`).
    pub col_span: usize,
    /// Rows covered (HTML `rowspan`); DOCX says it with `vmerge` instead.
    pub row_span: usize,
    /// DOCX `vMerge` without `restart`: this continues the cell above.
    pub continues: bool,
}

impl SourceCell {
    /// A plain cell.
    pub fn new(text: String) -> SourceCell {
        SourceCell {
            text,
            col_span: 1,
            row_span: 1,
            continues: false,
        }
    }
}

/// Lays out rows of source cells on a grid: row spans reserve the positions
/// below, column spans the positions to the right, `continues` takes the
/// cell above. Spans and sizes are held to the limits above.
pub fn layout(source: &[Vec<SourceCell>]) -> Grid {
    let mut rows: Vec<Vec<Option<GridCell>>> = Vec::new();
    for (r, line) in source.iter().take(MAX_ROWS).enumerate() {
        if rows.len() <= r {
            rows.push(Vec::new());
        }
        let mut c = 0;
        for cell in line {
            // Skip positions a row span from above already holds.
            while rows[r].get(c).is_some_and(|p| p.is_some()) {
                c += 1;
            }
            if c >= MAX_COLS {
                break;
            }
            let col_span = cell.col_span.clamp(1, MAX_SPAN).min(MAX_COLS - c);
            let row_span = cell.row_span.clamp(1, MAX_SPAN);
            let above = if cell.continues && r > 0 {
                rows[r - 1].get(c).cloned().flatten()
            } else {
                None
            };
            let placed = match above {
                Some(up) => up,
                None => GridCell {
                    text: cell.text.clone(),
                    origin: (r, c),
                },
            };
            for dr in 0..row_span {
                let rr = r + dr;
                if rr >= MAX_ROWS || rr >= source.len().max(r + 1) {
                    break;
                }
                while rows.len() <= rr {
                    rows.push(Vec::new());
                }
                let row = &mut rows[rr];
                if row.len() < c + col_span {
                    row.resize(c + col_span, None);
                }
                for slot in row.iter_mut().skip(c).take(col_span) {
                    if slot.is_none() {
                        *slot = Some(placed.clone());
                    }
                }
            }
            c += col_span;
        }
    }
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(r, row)| {
            let mut row: Vec<GridCell> = row
                .into_iter()
                .enumerate()
                .map(|(c, cell)| {
                    cell.unwrap_or(GridCell {
                        text: String::new(),
                        origin: (r, c),
                    })
                })
                .collect();
            while row.len() < width {
                let c = row.len();
                row.push(GridCell {
                    text: String::new(),
                    origin: (r, c),
                });
            }
            row
        })
        .collect();
    Grid {
        rows,
        positional: false,
        hint: None,
    }
}

/// Collapses runs of white space into nothing between CJK characters and
/// into one space between Latin letters or digits; trims both ends.
pub fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() || c == '\u{a0}' || c == '\u{3000}' {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            let before = out
                .chars()
                .last()
                .is_some_and(|b| b.is_ascii() && !b.is_ascii_punctuation());
            if before && c.is_ascii() && !c.is_ascii_punctuation() {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(text: &str, col_span: usize, row_span: usize, continues: bool) -> SourceCell {
        SourceCell {
            text: text.into(),
            col_span,
            row_span,
            continues,
        }
    }

    #[test]
    fn spans_and_continuations_expand() {
        let grid = layout(&[
            vec![cell("a", 2, 1, false), cell("b", 1, 2, false)],
            vec![cell("c", 1, 1, false), cell("d", 1, 1, false)],
            vec![cell("", 1, 1, true), cell("e", 2, 1, false)],
        ]);
        let text: Vec<Vec<&str>> = grid
            .rows
            .iter()
            .map(|r| r.iter().map(|c| c.text.as_str()).collect())
            .collect();
        assert_eq!(text, [["a", "a", "b"], ["c", "d", "b"], ["c", "e", "e"]]);
        assert!(grid.is_origin(0, 0) && !grid.is_origin(0, 1) && !grid.is_origin(1, 2));
        assert_eq!(grid.rows[2][0].origin, (1, 0));
    }

    #[test]
    fn hostile_spans_are_held() {
        let grid = layout(&[vec![cell("x", usize::MAX, usize::MAX, false)]]);
        assert_eq!(grid.rows.len(), 1);
        assert_eq!(grid.rows[0].len(), MAX_SPAN);
    }

    #[test]
    fn tidy_joins_cjk_and_keeps_latin_words() {
        assert_eq!(tidy(" 粉丝 1000\n余人 a b "), "粉丝1000余人a b");
    }
}
