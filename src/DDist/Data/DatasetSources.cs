namespace DDist.Data;

public enum ChecksumAlgorithm { Md5, Sha256 }

/// <summary>How a downloaded file is installed: kept as it is (the readers un-gzip IDX files themselves) or extracted.</summary>
public enum ArchiveKind { None, TarGz, Zip }

/// <summary>One official file: where it can be downloaded (mirrors tried in order) and its published checksum.</summary>
public sealed record DownloadFile(string FileName, IReadOnlyList<string> Urls, ChecksumAlgorithm Algorithm, string Checksum, ArchiveKind Archive);

/// <summary>The official files of one dataset.</summary>
public sealed record DatasetSource(string Dataset, IReadOnlyList<DownloadFile> Files);

/// <summary>The one table of official download locations and checksums (the checksums the dataset authors and
/// torchvision publish; MD5 is what they publish, used for integrity, not security).</summary>
public static class DatasetSources
{
    private static readonly string[] MnistMirrors = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"];
    private const string FashionMnistBase = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/";

    private static DownloadFile Idx(string[] mirrors, string file, string md5) =>
        new(file, mirrors.Select(m => m + file).ToArray(), ChecksumAlgorithm.Md5, md5, ArchiveKind.None);

    public static IReadOnlyDictionary<string, DatasetSource> All { get; } = new Dictionary<string, DatasetSource>
    {
        ["mnist"] = new("mnist",
        [
            Idx(MnistMirrors, "train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
            Idx(MnistMirrors, "train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432"),
            Idx(MnistMirrors, "t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
            Idx(MnistMirrors, "t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
        ]),
        ["fashion-mnist"] = new("fashion-mnist",
        [
            Idx([FashionMnistBase], "train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            Idx([FashionMnistBase], "train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe"),
            Idx([FashionMnistBase], "t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79"),
            Idx([FashionMnistBase], "t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310"),
        ]),
        ["cifar10"] = new("cifar10",
        [
            new("cifar-10-binary.tar.gz", ["https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"],
                ChecksumAlgorithm.Md5, "c32a1d4ab5d03f1284b67883e8d87530", ArchiveKind.TarGz),
        ]),
        ["cifar100"] = new("cifar100",
        [
            new("cifar-100-binary.tar.gz", ["https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"],
                ChecksumAlgorithm.Md5, "03b5dce01913d631647c71ecec9e9cb8", ArchiveKind.TarGz),
        ]),
        ["tiny-imagenet"] = new("tiny-imagenet",
        [
            new("tiny-imagenet-200.zip", ["http://cs231n.stanford.edu/tiny-imagenet-200.zip"],
                ChecksumAlgorithm.Md5, "90528d7ca1a48142e341f4ef8d21d0de", ArchiveKind.Zip),
        ]),
    };
}
