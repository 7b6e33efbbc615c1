namespace DDist.Reporting;

/// <summary>A report as a list of blocks, so report.md and report.html say exactly the same thing.</summary>
public abstract record ReportBlock;

public sealed record ReportHeading(int Level, string Text) : ReportBlock;

public sealed record ReportParagraph(string Text) : ReportBlock;

public sealed record ReportBullets(IReadOnlyList<string> Items) : ReportBlock;

/// <summary>A table; <see cref="Total"/> (optional) is a last row drawn in bold.</summary>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows, IReadOnlyList<string>? Total = null) : ReportBlock
{
    public ReportTable Validated()
    {
        foreach (var row in Total is null ? Rows : Rows.Append(Total))
            if (row.Count != Header.Count)
                throw new ArgumentException($"table row [{string.Join(" | ", row)}] has {row.Count} cells, the header has {Header.Count}");
        return this;
    }
}

/// <summary>A PNG written beside the report (<see cref="File"/> is its name in the report's folder).</summary>
public sealed record ReportFigure(string File, string Caption) : ReportBlock;
