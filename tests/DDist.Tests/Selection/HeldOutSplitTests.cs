using System.Text.Json.Nodes;
using DDist.Distillation;
using DDist.Pipeline;
using DDist.Selection;

namespace DDist.Tests.Selection;

/// <summary>The pieces the recipe runner builds its validation protocol from: a split carved before anything is
/// chosen, rankings and random draws that never reach it, and a state file that knows its recipe by content.</summary>
[Collection(SerialRngCollection.Name)]
public sealed class HeldOutSplitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ddist-heldout-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RankingWithoutHeldOutKeepsTheOrderOfTheRest()
    {
        var ranking = WindowSelectionTests.Rank(ScoreKind.CScore);     // class 0: [2, 8, 6, 0, 4, 10], class 1: [7, 1, 3, 5, 11, 9]
        var rest = ranking.Without(new HashSet<int> { 8, 0, 7 });
        Assert.Equal([2, 6, 4, 10], rest.Class(0));
        Assert.Equal([1, 3, 5, 11, 9], rest.Class(1));
        Assert.Equal(4, rest.SmallestClass);
        // The window at β = 0 is cut from what is left: the held-out hardest images never enter it.
        Assert.Equal([2, 6, 1, 3], WindowSelection.Choose(rest, 0, 2, WindowOffset.FractionOfIpc).AllIndices());
        Assert.Same(ranking, ranking.Without(new HashSet<int>()));
    }

    [Fact]
    public void ValidationIsCarvedPerClassAndRandomDrawsAvoidIt()
    {
        var labels = ToyData.Interleaved(30, 3);
        using var data = ToyData.Make(labels, 3);
        var (validation, held) = ValidationSplit.Carve(data, 10, new HashSet<long>(), seed: 4);
        using (validation)
        {
            Assert.Equal(30, validation.Count);
            Assert.All(Enumerable.Range(0, 3), c => Assert.Equal(10, held.Count(i => labels[i] == c)));
            Assert.Equal(held, ValidationSplit.Carve(data, 10, new HashSet<long>(), seed: 4).Indices);
        }
        var heldOut = held.ToHashSet();
        for (ulong seed = 0; seed < 5; seed++)
        {
            using var random = RandomSelection.Select(data, 20, seed, "none", heldOut);   // 20 of the 20 left per class
            Assert.DoesNotContain(random.SourceIndex, i => heldOut.Contains((int)i));
            Assert.Equal(60, random.SourceIndex.Distinct().Count());
        }
        // Without an exclusion the draw is the one it always was.
        using var plain = RandomSelection.Select(data, 5, 3, "none");
        using var plainAgain = RandomSelection.Select(data, 5, 3, "none", exclude: null);
        Assert.Equal(plain.SourceIndex, plainAgain.SourceIndex);
    }

    private static JsonObject Recipe(double alpha) => JsonNode.Parse(
        $$"""{ "name": "r", "distill": { "alpha": {{alpha}}, "iterations": 10 }, "compare": ["random", "selmatch"] }""")!.AsObject();

    [Fact]
    public void StateKnowsItsRecipeByContent()
    {
        var state = PipelineState.LoadOrCreate(_dir, Recipe(0.5));
        state.Save(_dir);
        // A state that records nothing made (a run that stopped before making anything) gives way to another recipe.
        Assert.Equal(0.25, (double)PipelineState.LoadOrCreate(_dir, Recipe(0.25)).Recipe!["distill"]!["alpha"]!);
        state.Stages.Add(new PipelineState.StageTime("experts", 1));
        state.Save(_dir);
        Assert.IsType<JsonObject>(JsonNode.Parse(File.ReadAllText(Path.Combine(_dir, PipelineState.FileName)))!["Recipe"]);

        // The same content in another key order is the same recipe.
        var reordered = JsonNode.Parse("""{ "compare": ["random", "selmatch"], "distill": { "iterations": 10, "alpha": 0.5 }, "name": "r" }""")!.AsObject();
        PipelineState.LoadOrCreate(_dir, reordered);

        var ex = Assert.Throws<InvalidDataException>(() => PipelineState.LoadOrCreate(_dir, Recipe(0.25)));
        Assert.Contains("'distill.alpha' is 0.5 there, 0.25 here", ex.Message);

        // A folder from before recipes were stored as objects is refused with the reason, not misread.
        File.WriteAllText(Path.Combine(_dir, PipelineState.FileName), """{ "RecipeJson": "{\"name\": \"r\"}", "Stages": [] }""");
        Assert.Contains("field 'Recipe' is missing", Assert.Throws<InvalidDataException>(() => PipelineState.LoadOrCreate(_dir, Recipe(0.5))).Message);
    }
}
