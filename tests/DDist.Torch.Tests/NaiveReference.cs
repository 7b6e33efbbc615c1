namespace DDist.Torch.Tests;

/// <summary>Loop-by-loop forward references for convolution and pooling (NCHW, row-major arrays), so that a
/// binding passing stride, padding, dilation or groups in the wrong slot is caught: a gradcheck alone would
/// happily check the gradient of the wrong function.</summary>
internal static class NaiveReference
{
    public static double[] Conv2d(double[] x, long[] xs, double[] w, long[] ws, double[] b, int stride, int pad, int dil, int groups,
                                  out long[] shape)
    {
        long n = xs[0], c = xs[1], h = xs[2], wd = xs[3], oc = ws[0], icg = ws[1], kh = ws[2], kw = ws[3];
        long oh = (h + 2 * pad - dil * (kh - 1) - 1) / stride + 1, ow = (wd + 2 * pad - dil * (kw - 1) - 1) / stride + 1;
        long ocg = oc / groups;
        shape = [n, oc, oh, ow];
        var y = new double[n * oc * oh * ow];
        for (long b0 = 0; b0 < n; b0++)
            for (long o = 0; o < oc; o++)
                for (long i = 0; i < oh; i++)
                    for (long j = 0; j < ow; j++)
                    {
                        double s = b[o];
                        long g = o / ocg;
                        for (long ci = 0; ci < icg; ci++)
                            for (long u = 0; u < kh; u++)
                                for (long v = 0; v < kw; v++)
                                {
                                    long r = i * stride - pad + u * dil, q = j * stride - pad + v * dil;
                                    if (r < 0 || r >= h || q < 0 || q >= wd) continue;
                                    s += x[((b0 * c + g * icg + ci) * h + r) * wd + q] * w[((o * icg + ci) * kh + u) * kw + v];
                                }
                        y[((b0 * oc + o) * oh + i) * ow + j] = s;
                    }
        return y;
    }

    /// <summary>Max pooling ignores padded cells; average pooling counts them (PyTorch's count_include_pad default).</summary>
    public static double[] Pool2d(double[] x, long[] xs, int k, int stride, int pad, bool max, out long[] shape)
    {
        long nc = xs[0] * xs[1], h = xs[2], w = xs[3];
        long oh = (h + 2 * pad - k) / stride + 1, ow = (w + 2 * pad - k) / stride + 1;
        shape = [xs[0], xs[1], oh, ow];
        var y = new double[nc * oh * ow];
        for (long p = 0; p < nc; p++)
            for (long i = 0; i < oh; i++)
                for (long j = 0; j < ow; j++)
                {
                    double acc = max ? double.NegativeInfinity : 0;
                    for (long u = 0; u < k; u++)
                        for (long v = 0; v < k; v++)
                        {
                            long r = i * stride - pad + u, q = j * stride - pad + v;
                            if (r < 0 || r >= h || q < 0 || q >= w) continue;
                            double e = x[(p * h + r) * w + q];
                            acc = max ? Math.Max(acc, e) : acc + e;
                        }
                    y[(p * oh + i) * ow + j] = max ? acc : acc / (k * k);
                }
        return y;
    }
}
