//! Where each part of the screen goes, as plain arithmetic the update and the view share
//! (the update needs the list's height for paging and mouse clicks).

use super::state::Pane;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Area {
    pub x: u16,
    pub y: u16,
    pub width: u16,
    pub height: u16,
}

impl Area {
    pub fn contains(&self, x: u16, y: u16) -> bool {
        x >= self.x && x < self.x + self.width && y >= self.y && y < self.y + self.height
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub header: Area,
    /// Zero-sized when a small screen shows the side pane instead.
    pub list: Area,
    /// The detail, logs or runbook pane; zero-sized when a small screen shows the list.
    pub side: Area,
    pub status: Area,
    /// Everything between the header and the status bar.
    pub body: Area,
}

/// Wide screens put the side pane right of the list; tall ones below it; small ones show
/// one of the two, whichever has focus.
/// `header_rows` is 2 when the on-call line shows under the title line.
pub fn layout(width: u16, height: u16, focus: Pane, header_rows: u16) -> Layout {
    let header = Area { x: 0, y: 0, width, height: height.min(header_rows.max(1)) };
    let status = Area { x: 0, y: height.saturating_sub(1), width, height: u16::from(height >= 2) };
    let body = Area { x: 0, y: header.height, width, height: height.saturating_sub(header.height + status.height) };
    let zero = Area { x: 0, y: body.y, width: 0, height: 0 };
    let (list, side) = if width >= 110 {
        let lw = (width * 11 / 20).max(60);
        (Area { width: lw, ..body }, Area { x: lw, width: width - lw, ..body })
    } else if body.height >= 24 {
        let lh = body.height / 2;
        (Area { height: lh, ..body }, Area { y: body.y + lh, height: body.height - lh, ..body })
    } else if focus == Pane::List {
        (body, zero)
    } else {
        (zero, body)
    };
    Layout { header, list, side, status, body }
}

impl Layout {
    /// Zoomed (`Z`): the focused pane alone in the body, as on a small screen.
    pub fn zoomed(self, zoom: bool, focus: Pane) -> Layout {
        if !zoom {
            return self;
        }
        let zero = Area { x: 0, y: self.body.y, width: 0, height: 0 };
        let (list, side) = if focus == Pane::List { (self.body, zero) } else { (zero, self.body) };
        Layout { list, side, ..self }
    }

    /// Alert rows that fit in the list (inside its border, below the column header).
    pub fn list_rows(&self) -> usize {
        usize::from(self.list.height.saturating_sub(3))
    }

    /// The first row of alerts on screen.
    pub fn list_first_row(&self) -> u16 {
        self.list.y + 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_size_keeps_header_status_and_a_pane() {
        for (w, h) in [(40, 10), (80, 24), (120, 40), (300, 100), (1, 1), (0, 0)] {
            let l = layout(w, h, Pane::List, 1);
            let total = l.header.height + l.status.height + l.list.height.max(l.side.height);
            assert!(total <= h, "{w}x{h}: {l:?}");
        }
        let small = layout(40, 10, Pane::Detail, 1);
        assert_eq!((small.list.height, small.side.height), (0, 8));
        let wide = layout(120, 40, Pane::List, 1);
        assert!(wide.side.width > 0 && wide.list.width >= 60);
        assert_eq!(layout(40, 10, Pane::List, 1).list_rows(), 5);
        // Zoomed, the focused pane has the body a small screen would give it.
        let zoomed = wide.zoomed(true, Pane::Logs);
        assert_eq!((zoomed.list.height, zoomed.side), (0, Area { x: 0, y: 1, width: 120, height: 38 }));
        assert_eq!(wide.zoomed(true, Pane::List).list, zoomed.side);
        assert_eq!(wide.zoomed(false, Pane::Logs), wide);
    }
}
