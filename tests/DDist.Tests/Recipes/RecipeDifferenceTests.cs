using System.Text.Json.Nodes;
using DDist.Recipes;

namespace DDist.Tests.Recipes;

/// <summary>What makes a folder's recipe another experiment: any field but the free ones, except that full unrolling,
/// exact recomputation and an absent unroll field (one of the two by default) are the same gradient; TESLA's is not.</summary>
public class RecipeDifferenceTests
{
    private static JsonNode Recipe(string? unroll, int iterations = 100)
    {
        var distill = new JsonObject { ["iterations"] = iterations };
        if (unroll is not null) distill["unroll"] = unroll;
        return new JsonObject { ["name"] = "r", ["distill"] = distill };
    }

    [Theory]
    [InlineData("full", "exact")]
    [InlineData("exact", "full")]
    [InlineData(null, "exact")]
    [InlineData("full", null)]
    public void FullAndExactUnrollingAreTheSameExperiment(string? stored, string? wanted) =>
        Assert.Null(RecipeDifference.First(Recipe(stored), Recipe(wanted)));

    [Theory]
    [InlineData("tesla", "exact")]
    [InlineData(null, "tesla")]
    public void TeslasApproximationIsAnother(string? stored, string? wanted) =>
        Assert.Contains("'distill.unroll'", RecipeDifference.First(Recipe(stored), Recipe(wanted)));

    [Fact]
    public void OtherFieldsStillDiffer()
    {
        Assert.Equal("'distill.iterations' is 100 there, 200 here", RecipeDifference.First(Recipe("full"), Recipe("exact", 200)));
        Assert.Null(RecipeDifference.First(JsonNode.Parse("""{"description": "a"}"""), JsonNode.Parse("""{"description": "b"}"""), "description"));
    }
}
