using System.CommandLine;
using QcowKit.Cli.Infrastructure;
using QcowKit.Fixtures;

namespace QcowKit.Cli.Commands;

/// <summary><c>qcowkit fixture</c>: lists the fixture catalogue or builds fixtures and their manifest.json into a folder.</summary>
internal static class FixtureCommand
{
    public static Command Create()
    {
        var list = new Option<bool>("--list") { Description = "List the catalogue: name and description of every fixture" };
        var all = new Option<bool>("--all") { Description = "Build every fixture of the catalogue" };
        var seed = new Option<int?>("--seed") { Description = "Content seed for every fixture (default: each fixture's catalogue seed)", HelpName = "N" };
        var output = new Option<string?>("-o", "--output-dir") { Description = "Folder for the images and manifest.json (created when missing)", HelpName = "DIR" };
        var names = new Argument<string[]>("NAME") { Description = "Fixtures to build (see --list)", Arity = ArgumentArity.ZeroOrMore };
        var command = new Command("fixture", "Build qcow2 test fixtures with chosen features, compression and corruption, plus a manifest of expected verdicts");
        command.Options.Add(list);
        command.Options.Add(all);
        command.Options.Add(seed);
        command.Options.Add(output);
        command.Arguments.Add(names);
        CommandActions.Set(command, context =>
        {
            if (context.GetValue(list))
            {
                foreach (var definition in QcowFixtures.All)
                {
                    context.Out.WriteLine($"{definition.Name}\t{definition.Description}");
                }
                return 0;
            }
            var requested = context.GetValue(names) ?? [];
            var everything = context.GetValue(all);
            if (everything == requested.Length > 0)
            {
                throw new CliException(null, "give fixture names or --all (or --list to see the names)");
            }
            var directory = context.GetValue(output) ?? throw new CliException(null, "-o DIR is required: the folder to write the fixtures into");
            List<FixtureDefinition> definitions;
            try
            {
                definitions = everything ? [.. QcowFixtures.All] : [.. requested.Select(QcowFixtures.Find)];
            }
            catch (KeyNotFoundException ex)
            {
                throw new CliException(null, ex.Message);
            }
            var manifest = FixtureCorpus.Generate(directory, definitions, context.GetValue(seed));
            context.Out.WriteLine($"{manifest.Fixtures.Count} fixture(s) and manifest.json written to {directory}");
            return 0;
        });
        return command;
    }
}
