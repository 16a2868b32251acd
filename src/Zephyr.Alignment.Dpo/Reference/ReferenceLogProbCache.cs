using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.IO;
using Zephyr.Alignment.Runtime;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Dpo.Reference;

/// <summary>
/// Files of <see cref="PrecomputedReferenceLogProbs"/>, named and checked by a fingerprint of everything the values
/// depend on: the tokenized pairs (so the dataset's content, the chat template, the tokenizer and the length limits),
/// the tokenization settings, the batching (padding changes the last bits), and the reference's weights, dtype and
/// device type. A file whose fingerprint differs is never used, which is how TRL users' "precomputed reference
/// log-probs silently went stale" problem is avoided.
/// </summary>
/// <remarks>
/// Files are written to a temporary name in the same folder, flushed, then renamed into place, so a reader sees
/// either no file or a complete one. Layout (little-endian): the 8-byte magic <c>ZDPOREF1</c>, the 32-byte SHA-256
/// fingerprint, the dtype (int32), the pair count (int32), then the chosen values and the rejected values (float64 each).
/// </remarks>
public static class ReferenceLogProbCache
{
    private static readonly byte[] Magic = "ZDPOREF1"u8.ToArray();
    private const int HeaderLength = 8 + 32 + 4 + 4;

    /// <summary>
    /// The fingerprint of the reference log-probs of <paramref name="examples"/>: a SHA-256 over the pairs' ids, the
    /// tokenization settings, the padding id, the batch size and the row layout (each changes how the values round), the
    /// reference's configuration (its <see cref="IArchitectureDescription"/>, when it has one) and its parameters (names,
    /// shapes, dtypes and bytes).
    /// </summary>
    /// <param name="reference">
    /// The frozen reference (its weights are hashed, one tensor at a time): a <see cref="ReferenceModel"/>, or an
    /// <see cref="AdapterDisabledReference"/>, whose base weights are hashed, so both give the same fingerprint for the same base.
    /// </param>
    /// <param name="examples">The tokenized pairs, in dataset order.</param>
    /// <param name="padTokenId">The collator's padding id.</param>
    /// <param name="batchSize">Pairs per precompute batch.</param>
    /// <param name="tokenization">The length limits the pairs were tokenized with, or <see langword="null"/> when unknown.</param>
    /// <param name="prefixSharing">
    /// Whether the values are computed with the prompt shared by chosen and rejected in one row (<c>DpoOptions.PrefixSharing</c>)
    /// rather than as two rows per pair.
    /// </param>
    /// <returns>64 lowercase hex digits.</returns>
    public static string Fingerprint(
        IReferenceModel reference, IReadOnlyList<TokenizedPreference> examples, int padTokenId, int batchSize, PreferenceTokenizerOptions? tokenization,
        bool prefixSharing = false)
    {
        ArgumentNullException.ThrowIfNull(reference);
        IFingerprintableReference weights = reference as IFingerprintableReference ?? throw new ArgumentException(
            $"A {reference.GetType().Name} does not expose its weights, so its log-probs cannot be fingerprinted; use a {nameof(ReferenceModel)} or an {nameof(AdapterDisabledReference)}.",
            nameof(reference));
        ArgumentNullException.ThrowIfNull(examples);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        void Text(string value)
        {
            byte[] bytes = Encoding.UTF8.GetBytes(value);
            Int(bytes.Length);
            hash.AppendData(bytes);
        }

        void Int(long value)
        {
            Span<byte> buffer = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(buffer, value);
            hash.AppendData(buffer);
        }

        void Ids(int[] ids)
        {
            Int(ids.Length);
            byte[] buffer = new byte[ids.Length * 4];
            for (int i = 0; i < ids.Length; i++)
            {
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(i * 4), ids[i]);
            }

            hash.AppendData(buffer);
        }

        Text("zephyr-dpo-reference-logps/1");
        Text(tokenization is null
            ? "tokenization:unknown"
            : string.Create(CultureInfo.InvariantCulture, $"max_length={tokenization.MaxLength};max_prompt_length={tokenization.MaxPromptLength};truncation={tokenization.TruncationMode}"));
        Int(padTokenId);
        Int(batchSize);
        Text(prefixSharing ? "layout:prefix-shared" : "layout:two-rows");
        Int(examples.Count);
        foreach (TokenizedPreference pair in examples)
        {
            Ids(pair.PromptIds);
            Ids(pair.ChosenIds);
            Ids(pair.RejectedIds);
        }

        Text(TorchDevices.DTypeName(reference.DType));
        Text(weights.Device.type.ToString());
        Text(weights.ArchitectureDescription ?? "architecture:unknown");
        foreach (var (name, parameter) in weights.FrozenParameters())
        {
            using var scope = NewDisposeScope();
            Text(name);
            Text(parameter.dtype.ToString());
            Int(parameter.dim());
            foreach (long size in parameter.shape)
            {
                Int(size);
            }

            Tensor host = parameter.detach().cpu().contiguous();
            hash.AppendData(host.bytes);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>The cache file for <paramref name="fingerprint"/> in <paramref name="directory"/>: <c>ref-logps-{first 16 hex digits}.bin</c>.</summary>
    /// <param name="directory">The cache folder.</param>
    /// <param name="fingerprint">From <see cref="Fingerprint"/>.</param>
    public static string PathFor(string directory, string fingerprint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        CheckFingerprint(fingerprint);
        return Path.Combine(directory, $"ref-logps-{fingerprint[..16]}.bin");
    }

    /// <summary>Reads a cache file if it exists and holds the values of <paramref name="fingerprint"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="fingerprint">The fingerprint the values must have.</param>
    /// <param name="expectedCount">The number of pairs the values must cover.</param>
    /// <param name="problem">Why the file was not used, when it exists but is unusable.</param>
    /// <returns>The values, or <see langword="null"/> when the file is missing or unusable.</returns>
    public static PrecomputedReferenceLogProbs? TryLoad(string path, string fingerprint, int expectedCount, out string? problem)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckFingerprint(fingerprint);
        problem = null;
        if (!File.Exists(path))
        {
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException ex)
        {
            problem = $"cannot read it: {ex.Message}";
            return null;
        }

        if (bytes.Length < HeaderLength || !bytes.AsSpan(0, 8).SequenceEqual(Magic))
        {
            problem = "it is not a reference log-prob cache file";
            return null;
        }

        if (!bytes.AsSpan(8, 32).SequenceEqual(Convert.FromHexString(fingerprint)))
        {
            problem = "its fingerprint differs (other data, tokenization or reference weights)";
            return null;
        }

        var dtype = (ScalarType)BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(40));
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(44));
        if (count != expectedCount || bytes.Length != HeaderLength + (16L * count) || dtype is not (ScalarType.Float32 or ScalarType.Float64))
        {
            problem = string.Create(CultureInfo.InvariantCulture, $"it is truncated or inconsistent ({count} pairs of {dtype} in {bytes.Length} bytes; expected {expectedCount} pairs)");
            return null;
        }

        var chosen = new double[count];
        var rejected = new double[count];
        for (int i = 0; i < count; i++)
        {
            chosen[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(HeaderLength + (8 * i)));
            rejected[i] = BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(HeaderLength + (8 * (count + i))));
        }

        return new PrecomputedReferenceLogProbs(chosen, rejected, dtype);
    }

    /// <summary>Writes <paramref name="values"/> to <paramref name="path"/> atomically (temporary file, flush, rename).</summary>
    /// <param name="path">The file; its folder is created.</param>
    /// <param name="fingerprint">The values' fingerprint.</param>
    /// <param name="values">The values.</param>
    public static void Save(string path, string fingerprint, PrecomputedReferenceLogProbs values)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        CheckFingerprint(fingerprint);
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[HeaderLength + (16L * values.Count)];
        Magic.CopyTo(bytes, 0);
        Convert.FromHexString(fingerprint).CopyTo(bytes, 8);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(40), (int)values.DType);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(44), values.Count);
        for (int i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(HeaderLength + (8 * i)), values.Chosen[i]);
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(HeaderLength + (8 * (values.Count + i))), values.Rejected[i]);
        }

        AtomicFile.Write(path, stream => stream.Write(bytes));
    }

    private static void CheckFingerprint(string fingerprint)
    {
        ArgumentNullException.ThrowIfNull(fingerprint);
        if (fingerprint.Length != 64 || !fingerprint.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"A fingerprint is 64 hex digits; got '{fingerprint}'.", nameof(fingerprint));
        }
    }
}
