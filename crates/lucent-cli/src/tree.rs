//! The human-readable tree printed by `lucent info`.

use lucent_core::{StudyIndex, sanitize};
use std::io::{self, Write};

fn or_dash(v: &Option<String>) -> &str {
    v.as_deref().unwrap_or("-")
}

/// `YYYYMMDD` → `YYYY-MM-DD` when it looks like a date; anything else as it is.
fn pretty_date(d: &Option<String>) -> String {
    match d.as_deref() {
        Some(s) if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}-{}-{}", &s[..4], &s[4..6], &s[6..])
        }
        Some(s) => s.to_string(),
        None => "-".into(),
    }
}

/// Writes studies, series/stacks and skipped files.
pub fn write_tree(out: &mut impl Write, index: &StudyIndex) -> io::Result<()> {
    let images: usize = index.instances().count();
    writeln!(
        out,
        "{} stud{}, {} image{}, {} skipped",
        index.studies.len(),
        if index.studies.len() == 1 { "y" } else { "ies" },
        images,
        if images == 1 { "" } else { "s" },
        index.skipped.len()
    )?;
    for study in &index.studies {
        let p = &study.patient;
        writeln!(out)?;
        writeln!(
            out,
            "Patient {}  ID {}  sex {}  born {}",
            or_dash(&p.name),
            or_dash(&p.id),
            or_dash(&p.sex),
            pretty_date(&p.birth_date)
        )?;
        writeln!(
            out,
            "  Study {}  \"{}\"  {}",
            pretty_date(&study.study_date),
            or_dash(&study.study_description),
            sanitize(&study.study_instance_uid)
        )?;
        for series in &study.series {
            let first = series.instances.first();
            let size = first
                .map(|i| format!("{}×{}", i.columns, i.rows))
                .unwrap_or_default();
            writeln!(
                out,
                "    Series {:>4} {:<3} \"{}\" stack {}: {} image{}, {} frame{}, {}",
                series
                    .series_number
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                series.modality.as_deref().unwrap_or("?"),
                or_dash(&series.series_description),
                series.stack,
                series.instances.len(),
                if series.instances.len() == 1 { "" } else { "s" },
                series.frame_count(),
                if series.frame_count() == 1 { "" } else { "s" },
                size
            )?;
        }
    }
    if !index.skipped.is_empty() {
        writeln!(out)?;
        writeln!(out, "Skipped:")?;
        for s in &index.skipped {
            // A file name or a reason quoting the file could carry terminal control sequences.
            writeln!(
                out,
                "  {}: {}: {}",
                sanitize(&s.path.display().to_string()),
                s.code,
                sanitize(&s.reason)
            )?;
        }
    }
    Ok(())
}
