using DDist.Data;
using DDist.Distillation;

namespace DDist.Selection;

/// <summary>SelMatch's selection-based initialisation (Lee et al. ICML 2024, `distill.py`): the window's distilled
/// indices become the learnable part of the synthetic set, its frozen indices the constant part. It lives with the
/// window, so distillation itself knows nothing of how its starting images were chosen.</summary>
public static class WindowSyntheticSet
{
    public static SyntheticSet ToSyntheticSet(this WindowChoice window, ImageDataset train) =>
        SyntheticSet.FromIndices(train, window.Distilled, window.Frozen, window.Ipc);
}
