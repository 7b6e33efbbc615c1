// DDist from C#: distil Fashion-MNIST into 10 images per class by trajectory matching (MTT, Cazenavette et al. 2022)
// and compare them with 10 random real images per class, as `./ddist demo`'s MTT row does, in one readable file.
//
//   dotnet run -c Release --project examples/QuickStart -- [OUT] [--small]
//
// --small shrinks every budget so the whole program runs in well under a minute (the tests run it so); its numbers mean
// nothing. Without it: the demo's budget (5 experts, 200 iterations, 3 evaluation networks), about 13 minutes on 2 cores.
using DDist.Artifacts;
using DDist.Augment;
using DDist.Data;
using DDist.Distillation;
using DDist.Evaluation;
using DDist.Models;
using DDist.Reporting;
using DDist.Selection;
using DDist.Torch;
using DDist.Training.Experts;
using QuickStart;

var small = args.Contains("--small");
var output = Path.GetFullPath(args.FirstOrDefault(a => !a.StartsWith("--")) ?? "quickstart-out");
var budget = small ? Budget.Small : Budget.Full;
const string dataset = "fashion-mnist", model = "ConvNetW32";
const int ipc = 10, seed = 0;
var progress = new ConsoleProgress();
Tensors.ManualSeed(seed);

// 1. Data, mean/std normalised (the official IDX files: Debian's dataset-fashion-mnist, or `ddist data fetch`).
var raw = DatasetRegistry.Load(dataset);
var normalization = DatasetRegistry.NormalizationFor(raw);
using var train = ImageDataset.FromRaw(raw.Train, normalization, Device.Cpu, raw.Name);
using var test = ImageDataset.FromRaw(raw.Test, normalization, Device.Cpu, raw.Name);

// 2. A validation split carved from the training set: the best distillation iteration is chosen on it, never on the
//    test set, and no small set may hold one of its images.
var (validation, heldOut) = ValidationSplit.Carve(train, budget.ValidationPerClass, [], seed);
using var _ = validation;

// 3. Expert trajectories: networks trained on real data, a snapshot of the flat parameters after every epoch. The
//    folder resumes: experts already there (made with the same settings) are kept.
var experts = Path.Combine(output, "experts");
using var expertData = train.Subset(SubsetSampler.ClassBalanced(raw.Train.Labels, raw.NumClasses, budget.ExpertImagesPerClass, seed));
var expertOptions = new ExpertOptions
{
    Model = model, NumExperts = budget.Experts, Epochs = budget.ExpertEpochs, LearningRate = 0.03, BatchSize = 128, Seed = seed,
};
var dataInfo = new ExpertDataInfo(raw.Name, train.Space, Zca: false, expertData.Count, train.Channels, train.Height, train.Width, train.NumClasses);
INetwork Network() => ModelZoo.Create(model, train.Channels, train.NumClasses, train.Height, train.Width);
new ExpertTrainer(Network(), expertOptions, dataInfo).Train(experts, expertData, test: null, ShardSpec.All, progress);

// 4. The starting point and the baseline: random real images, drawn outside the validation split.
using var random = RandomSelection.Select(train, ipc, seed, exclude: heldOut.ToHashSet());
using var start = SyntheticSet.FromRandom(train, random, ipc);

// 5. Trajectory matching: the images (and a step size) learn so that a student trained on them for SynSteps steps
//    lands where an expert landed after ExpertEpochs epochs. DSA augments every student batch.
var augmentation = AugmentOptions.ForDataset(dataset);
var protocol = EvalProtocol.Mtt(model: model, epochs: budget.EvalEpochs) with { AugmentOptions = augmentation };
var student = Network();
var matching = new TrajectoryMatching(student, ExpertStoreTrajectories.Open(experts, student, train.Space), start, train.Space,
                                      augment: Dsa.ForStudent(true, augmentation.DsaStrategy),
                                      selectionEval: EvaluatorBinding.Bind(validation, protocol, onValidation: true));
using var distilled = matching.Run(new TrajectoryMatchingOptions
{
    Iterations = budget.Iterations, SynSteps = budget.SynSteps, ExpertEpochs = 2, MaxStartEpoch = budget.ExpertEpochs - 2,
    BatchSyn = 100, LrImg = 1000, LrLr = 1e-5, LrInit = 0.01, Seed = seed, Method = "mtt",
    EvalIterations = [budget.Iterations / 2, budget.Iterations], EvalBudget = new EvalBudget(budget.EvalEpochs, 1),
    OutputDir = Path.Combine(output, "mtt"),
}, progress);

// 6. Both sets judged the same way: fresh networks trained on each set alone, tested on the test set.
var evaluation = protocol with { Networks = budget.EvalNets };
var randomAccuracy = SmallSetEvaluator.Evaluate(random, test, evaluation, seed: 100, progress);
var mttAccuracy = SmallSetEvaluator.Evaluate(distilled.Set, test, evaluation, seed: 100, progress);
Console.WriteLine($"""

    | {ipc} images per class | test accuracy ({evaluation.Networks} × {model}, {evaluation.Epochs}+1 epochs) |
    |---|---|
    | Random | {randomAccuracy.Percent()} |
    | MTT (iteration {distilled.BestIteration}, chosen on validation) | {mttAccuracy.Percent()} |
    """);

// 7. Artefacts in open formats: the set as safetensors (+ JSON), its images as a PNG grid.
distilled.Set.Save(Path.Combine(output, "mtt.safetensors"));
using (var grid = ImageGrid.Render(distilled.Set)) PngFile.Save(grid, Path.Combine(output, "mtt.png"));
Console.WriteLine($"wrote {Path.Combine(output, "mtt.safetensors")} and mtt.png");
