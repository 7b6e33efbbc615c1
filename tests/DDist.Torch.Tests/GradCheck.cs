using System.Globalization;
using System.Text;

namespace DDist.Torch.Tests;

/// <summary>Analytic and numerical derivatives disagree (or the check itself is vacuous).</summary>
public sealed class GradCheckException(string message) : Exception(message);

/// <summary>Central-difference step and tolerances: a derivative passes when
/// |analytic − numeric| ≤ ATol + RTol·|numeric|. Seed fixes the output weights and the second-order direction.</summary>
public sealed record GradCheckOptions(double Eps = 1e-6, double ATol = 1e-6, double RTol = 1e-4, int Seed = 1234);

/// <summary>Checks autograd against central finite differences in float64.
/// The checked scalar is s(x) = Σ f(x) ⊙ W for a fixed random W (so every output element matters).
/// First order: ∂s/∂xᵢ for every input. Second order: ∂(Σᵢ ∂s/∂xᵢ · vᵢ)/∂xⱼ, with the inner gradient taken with
/// createGraph, against finite differences of the (first-order, analytic) inner gradient.
/// f must be deterministic and smooth around the inputs (keep them away from kinks and ties).</summary>
public static class GradCheck
{
    public static void FirstOrder(Func<Tensor[], Tensor> f, params Tensor[] inputs) => FirstOrder(f, inputs, new GradCheckOptions());

    public static void FirstOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, GradCheckOptions options)
    {
        using var scope = new TensorScope();
        var point = Point.Of(inputs);
        var all = Enumerable.Range(0, inputs.Length).ToArray();
        var weight = OutputWeight(f, point, options.Seed);
        var analytic = AnalyticGradient(f, point, weight, all);
        var numeric = NumericGradient(p => Objective(f, p, weight), point, options.Eps);
        Compare("first-order", analytic, numeric, options, everyInputMustMatter: true);
    }

    /// <summary>Second-order check. <paramref name="innerWrt"/> picks the inputs whose first-order gradient is
    /// dotted with v (default: all); the outer gradient is always taken with respect to every input.
    /// Restricting it checks mixed derivatives only, e.g. ∂(∇_w L · v)/∂x, as trajectory matching needs.</summary>
    public static void SecondOrder(Func<Tensor[], Tensor> f, Tensor[] inputs, int[]? innerWrt = null, GradCheckOptions? options = null)
    {
        options ??= new GradCheckOptions();
        using var scope = new TensorScope();
        var point = Point.Of(inputs);
        var inner = innerWrt ?? Enumerable.Range(0, inputs.Length).ToArray();
        var weight = OutputWeight(f, point, options.Seed);
        var rng = new Random(options.Seed + 1);
        var direction = point.Values.Select(v => v.Select(_ => Gaussian(rng)).ToArray()).ToArray();

        double InnerDotV(Point p)
        {
            var g = AnalyticGradient(f, p, weight, inner);
            return inner.Sum(i => Dot(g[i], direction[i]));
        }

        var analytic = AnalyticSecondOrder(f, point, weight, inner, direction);
        var numeric = NumericGradient(InnerDotV, point, options.Eps);
        Compare("second-order", analytic, numeric, options, everyInputMustMatter: false);
    }

    /// <summary>The inputs as float64 host arrays; each evaluation builds fresh leaf tensors from them.</summary>
    private sealed class Point
    {
        public required double[][] Values { get; init; }
        public required long[][] Shapes { get; init; }

        public static Point Of(Tensor[] inputs)
        {
            foreach (var (t, i) in inputs.Select((t, i) => (t, i)))
                if (t.DType != DType.Float64)
                    throw new ArgumentException($"gradcheck input {i} is {t.DType}; gradcheck needs Float64 inputs");
            return new Point { Values = inputs.Select(t => t.ToArray<double>()).ToArray(), Shapes = inputs.Select(t => t.Shape).ToArray() };
        }

        public Tensor[] Leaves(Func<int, bool> requiresGrad) =>
            Values.Select((v, i) => Tensors.FromArray(v, Shapes[i]).RequiresGrad_(requiresGrad(i))).ToArray();
    }

    private static Tensor OutputWeight(Func<Tensor[], Tensor> f, Point point, int seed)
    {
        long[] shape;
        using (new TensorScope())
        {
            var output = f(point.Leaves(_ => false));
            if (output.DType != DType.Float64)
                throw new GradCheckException($"function output is {output.DType}; gradcheck needs a Float64 output");
            shape = output.Shape;
        }
        var rng = new Random(seed);
        long n = shape.Aggregate(1L, (a, b) => a * b);
        return Tensors.FromArray(Enumerable.Range(0, (int)n).Select(_ => Gaussian(rng)).ToArray(), shape);
    }

    private static double Objective(Func<Tensor[], Tensor> f, Point p, Tensor weight)
    {
        using var scope = new TensorScope();
        return f(p.Leaves(_ => false)).Mul(weight).Sum().Item();
    }

    private static double[][] AnalyticGradient(Func<Tensor[], Tensor> f, Point p, Tensor weight, int[] wrt)
    {
        using var scope = new TensorScope();
        var leaves = p.Leaves(i => wrt.Contains(i));
        var s = f(leaves).Mul(weight).Sum();
        if (!s.RequiresGrad) throw new GradCheckException("the output does not depend on any input that requires grad");
        var grads = Autograd.Grad([s], wrt.Select(i => leaves[i]).ToArray(), allowUnused: true);
        var result = p.Values.Select(v => new double[v.Length]).ToArray();
        for (int k = 0; k < wrt.Length; k++)
            if (grads[k] is { } g) result[wrt[k]] = g.ToArray<double>();
        return result;
    }

    private static double[][] AnalyticSecondOrder(Func<Tensor[], Tensor> f, Point p, Tensor weight, int[] inner, double[][] direction)
    {
        using var scope = new TensorScope();
        var leaves = p.Leaves(_ => true);
        var s = f(leaves).Mul(weight).Sum();
        var grads = Autograd.Grad([s], inner.Select(i => leaves[i]).ToArray(), createGraph: true, allowUnused: true);
        Tensor? dot = null;
        for (int k = 0; k < inner.Length; k++)
        {
            if (grads[k] is not { } g) continue;
            var term = g.Mul(Tensors.FromArray(direction[inner[k]], p.Shapes[inner[k]])).Sum();
            dot = dot is null ? term : dot.Add(term);
        }
        var result = p.Values.Select(v => new double[v.Length]).ToArray();
        if (dot is null || !dot.RequiresGrad) return result;   // the first derivative is constant: the second is zero
        var second = Autograd.Grad([dot], leaves, allowUnused: true);
        for (int i = 0; i < leaves.Length; i++)
            if (second[i] is { } g) result[i] = g.ToArray<double>();
        return result;
    }

    private static double[][] NumericGradient(Func<Point, double> objective, Point p, double eps)
    {
        var result = p.Values.Select(v => new double[v.Length]).ToArray();
        for (int i = 0; i < p.Values.Length; i++)
            for (int j = 0; j < p.Values[i].Length; j++)
            {
                double saved = p.Values[i][j];
                p.Values[i][j] = saved + eps;
                double plus = objective(p);
                p.Values[i][j] = saved - eps;
                double minus = objective(p);
                p.Values[i][j] = saved;
                result[i][j] = (plus - minus) / (2 * eps);
            }
        return result;
    }

    private static void Compare(string order, double[][] analytic, double[][] numeric, GradCheckOptions o, bool everyInputMustMatter)
    {
        var failures = new List<(int Input, int Index, double A, double N, double Excess)>();
        for (int i = 0; i < analytic.Length; i++)
            for (int j = 0; j < analytic[i].Length; j++)
            {
                double a = analytic[i][j], n = numeric[i][j], tol = o.ATol + o.RTol * Math.Abs(n);
                if (!(Math.Abs(a - n) <= tol)) failures.Add((i, j, a, n, Math.Abs(a - n) / tol));
            }
        if (failures.Count > 0)
        {
            var msg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"{order} gradient mismatch at {failures.Count} element(s); worst:");
            foreach (var f in failures.OrderByDescending(f => f.Excess).Take(6))
                msg.Append(CultureInfo.InvariantCulture, $"\n  input {f.Input} [{f.Index}]: analytic {f.A:G10}, numeric {f.N:G10}");
            throw new GradCheckException(msg.ToString());
        }

        // A check whose derivatives are all below the tolerance proves nothing: it usually means a test wired the
        // wrong input or chose inputs where the op is flat.
        bool Matters(double[] g) => g.Any(x => Math.Abs(x) > 100 * o.ATol);
        if (everyInputMustMatter)
        {
            for (int i = 0; i < numeric.Length; i++)
                if (!Matters(numeric[i])) throw new GradCheckException($"{order}: input {i} does not measurably influence the output; the check is vacuous");
        }
        else if (!numeric.Any(Matters))
            throw new GradCheckException($"{order}: every derivative is below 100·ATol; the check is vacuous");
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
