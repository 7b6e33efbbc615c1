using System.CommandLine;
using System.CommandLine.Parsing;

namespace DDist.Cli;

/// <summary>An empty value (`--out ""`, a `$VAR` that is not set) is refused by the parser, naming the option or
/// argument, for every command at once: left to the command it surfaced as .NET's own "The value cannot be an empty
/// string (Parameter 'path')", or as a file named "" that does not exist.</summary>
internal static class EmptyValues
{
    public static void RefuseIn(Command command)
    {
        foreach (var option in command.Options)
            option.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => t.Value.Length == 0))
                    result.AddError($"{option.Name}: the value is empty; give one, or leave the option out for its default");
            });
        foreach (var argument in command.Arguments)
            argument.Validators.Add(result =>
            {
                if (result.Tokens.Any(t => t.Value.Length == 0))
                    result.AddError($"{argument.Name}: the value is empty");
            });
        foreach (var sub in command.Subcommands) RefuseIn(sub);
    }
}
