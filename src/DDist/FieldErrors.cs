namespace DDist;

/// <summary>The problems found in a group of settings, each naming its field by the path a recipe file spells it
/// (e.g. <c>field 'distill.synSteps' is 0, expected ≥ 1</c>). Every options type checks itself into one of these, so
/// a recipe reports every bad field at once and a stage called directly reports the same words (without the
/// recipe's section prefix).</summary>
public sealed class FieldErrors
{
    private readonly List<string> _errors;

    public FieldErrors() : this("", new List<string>()) { }

    private FieldErrors(string section, List<string> errors) { Section = section; _errors = errors; }

    /// <summary>The recipe path of the settings being checked ("" at the top level or outside a recipe).</summary>
    public string Section { get; }

    /// <summary>The same list, with field names under <paramref name="section"/> (e.g. "distill").</summary>
    public FieldErrors In(string section) => new(Path(section), _errors);

    /// <summary>The full path of a field of this section.</summary>
    public string Path(string field) => Section.Length == 0 ? field : field.Length == 0 ? Section : $"{Section}.{field}";

    public int Count => _errors.Count;
    public IReadOnlyList<string> All => _errors;

    /// <summary>Adds "field 'PATH' <paramref name="what"/>" unless <paramref name="ok"/>.</summary>
    public void Need(bool ok, string field, string what)
    {
        if (!ok) _errors.Add($"field '{Path(field)}' {what}");
    }

    /// <summary>Adds "field 'PATH': <paramref name="what"/>" (a message of its own, e.g. a parser's).</summary>
    public void Add(string field, string what) => _errors.Add($"field '{Path(field)}': {what}");

    /// <summary>Adds a message that already names its fields.</summary>
    public void AddRaw(string message) => _errors.Add(message);

    /// <summary>Runs a parser that throws on a bad value and records its message under the field (as is when it
    /// already names the field's path).</summary>
    public void Try(string field, Action parse)
    {
        try { parse(); }
        catch (Exception ex) when (ex is ArgumentException or InvalidDataException or FormatException)
        {
            var path = Path(field);
            _errors.Add(ex.Message.Contains($"'{path}'") ? ex.Message : $"field '{path}': {ex.Message}");
        }
    }

    /// <summary>Throws an <see cref="ArgumentException"/> listing every problem, for a stage given bad options
    /// directly (a recipe reports them as a <c>RecipeException</c> before any work starts).</summary>
    public void ThrowIfAny(string what)
    {
        if (_errors.Count > 0) throw new ArgumentException($"invalid {what}: " + string.Join("; ", _errors));
    }
}
