namespace DDist.Models;

/// <summary>How one parameter tensor is initialised: PyTorch's defaults are a uniform draw in ±Bound
/// (conv and linear weights and biases, Bound = 1/√fan_in) or a constant (norm γ = 1, β = 0).</summary>
public readonly record struct ParamInit(double Bound, double? Constant)
{
    /// <summary>PyTorch's Conv2d/Linear default: kaiming_uniform_(a=√5) for the weight gives U(−1/√fan_in, 1/√fan_in),
    /// and the bias uses the same bound.</summary>
    public static ParamInit FanIn(long fanIn) => new(1.0 / Math.Sqrt(fanIn), null);
    public static ParamInit Fill(double value) => new(0, value);
    public static ParamInit Ones => Fill(1);
    public static ParamInit Zeros => Fill(0);
}
