using System.Text;
using DDist.Torch.IO;

namespace DDist.Reporting;

/// <summary>Renders a report's blocks as one self-contained HTML file: the PNGs are embedded as base64 data URIs,
/// so report.html can be mailed or archived alone.</summary>
public static class HtmlReport
{
    public const string ReportFile = "report.html";

    private const string Style = """
        body { font-family: "DejaVu Sans", sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
        table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
        th, td { border: 1px solid #bbb; padding: 0.3em 0.7em; text-align: left; }
        th { background: #dde6f0; }
        tr.total td { font-weight: bold; }
        figure { margin: 1em 0; }
        figure img { max-width: 100%; border: 1px solid #ddd; }
        figcaption { color: #555; font-size: 0.9em; }
        """;

    /// <summary>The HTML text; figures are read from <paramref name="directory"/>.</summary>
    public static string Render(IReadOnlyList<ReportBlock> blocks, string directory)
    {
        var title = blocks.OfType<ReportHeading>().FirstOrDefault()?.Text ?? "DDist report";
        var html = new StringBuilder();
        html.AppendLine("<!DOCTYPE html>").AppendLine("<html lang=\"en\"><head><meta charset=\"utf-8\">");
        html.AppendLine($"<title>{E(title)}</title><style>{Style}</style></head><body>");
        foreach (var block in blocks)
        {
            switch (block)
            {
                case ReportHeading h: html.AppendLine($"<h{h.Level}>{E(h.Text)}</h{h.Level}>"); break;
                case ReportParagraph p: html.AppendLine($"<p>{E(p.Text)}</p>"); break;
                case ReportBullets b: html.AppendLine("<ul>" + string.Concat(b.Items.Select(i => $"<li>{E(i)}</li>")) + "</ul>"); break;
                case ReportFigure f:
                    var path = Path.Combine(directory, f.File);
                    if (!File.Exists(path)) throw new FileNotFoundException($"{path}: figure '{f.Caption}' of the report is missing", path);
                    html.AppendLine($"<figure><img alt=\"{E(f.Caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(File.ReadAllBytes(path))}\">" +
                                    $"<figcaption>{E(f.Caption)}</figcaption></figure>");
                    break;
                case ReportTable t:
                    html.AppendLine("<table><thead><tr>" + string.Concat(t.Header.Select(c => $"<th>{E(c)}</th>")) + "</tr></thead><tbody>");
                    foreach (var row in t.Rows) html.AppendLine("<tr>" + string.Concat(row.Select(c => $"<td>{E(c)}</td>")) + "</tr>");
                    if (t.Total is not null) html.AppendLine("<tr class=\"total\">" + string.Concat(t.Total.Select(c => $"<td>{E(c)}</td>")) + "</tr>");
                    html.AppendLine("</tbody></table>");
                    break;
                default: throw new ArgumentException($"unknown report block {block.GetType().Name}");
            }
        }
        html.AppendLine("</body></html>");
        return html.ToString();
    }

    /// <returns>The path of report.html.</returns>
    public static string Write(IReadOnlyList<ReportBlock> blocks, string directory)
    {
        var path = Path.Combine(directory, ReportFile);
        AtomicFile.WriteAllText(path, Render(blocks, directory));
        return path;
    }

    // Only the five characters HTML gives a meaning; the rest stays UTF-8 text (β, ±), as the page declares.
    private static string E(string text) => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;").Replace("'", "&#39;");
}
