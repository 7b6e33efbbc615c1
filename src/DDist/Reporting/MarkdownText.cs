using System.Text;

namespace DDist.Reporting;

/// <summary>Renders a report's blocks as GitHub-flavoured Markdown; figures are links to the PNGs beside it.</summary>
public static class MarkdownText
{
    public static string Render(IEnumerable<ReportBlock> blocks)
    {
        var md = new StringBuilder();
        foreach (var block in blocks)
        {
            switch (block)
            {
                case ReportHeading h: md.Append('#', h.Level).Append(' ').AppendLine(h.Text); break;
                case ReportParagraph p: md.AppendLine(p.Text); break;
                case ReportBullets b: foreach (var item in b.Items) md.AppendLine($"- {item}"); break;
                case ReportFigure f: md.AppendLine($"![{f.Caption}]({f.File})"); break;
                case ReportTable t:
                    md.AppendLine(Row(t.Header)).AppendLine(Row(t.Header.Select(_ => "---")));
                    foreach (var row in t.Rows) md.AppendLine(Row(row));
                    if (t.Total is not null) md.AppendLine(Row(t.Total.Select(c => c.Length == 0 ? c : $"**{c}**")));
                    break;
                default: throw new ArgumentException($"unknown report block {block.GetType().Name}");
            }
            md.AppendLine();
        }
        return md.ToString();
    }

    // A '|' inside a cell would start a new column.
    private static string Row(IEnumerable<string> cells) => "| " + string.Join(" | ", cells.Select(c => c.Replace("|", "\\|"))) + " |";
}
