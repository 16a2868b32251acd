using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Tokenization;

public sealed class TokenizerLoadingErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("zephyr-bad-tokenizer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Missing_folder_is_reported_with_its_path()
    {
        string missing = Path.Combine(_folder, "nope");
        var exception = Assert.Throws<DirectoryNotFoundException>(() => HuggingFaceTokenizer.FromFolder(missing));
        Assert.Contains(missing, exception.Message);
    }

    [Fact]
    public void Folder_without_tokenizer_files_names_both_files()
    {
        File.WriteAllText(Path.Combine(_folder, "config.json"), "{}");
        var exception = Assert.Throws<FileNotFoundException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(_folder, exception.Message);
        Assert.Contains("tokenizer.model", exception.Message);
        Assert.Contains("tokenizer.json", exception.Message);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.99)]
    [InlineData(0.1)]
    public void Truncated_tokenizer_model_is_invalid_data_naming_the_file(double keptFraction)
    {
        byte[] model = File.ReadAllBytes(TokenizerFixtures.SpmModelPath);
        string path = WriteBytes("tokenizer.model", model[..(int)(model.Length * keptFraction)]);

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
    }

    [Fact]
    public void Tokenizer_model_that_is_not_a_proto_is_invalid_data()
    {
        string path = WriteBytes("tokenizer.model", "this is not a protobuf message at all"u8.ToArray());

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
    }

    [Fact]
    public void Tokenizer_model_without_pieces_is_invalid_data()
    {
        // A well-formed ModelProto holding only a NormalizerSpec (field 3) with add_dummy_prefix = true.
        string path = WriteBytes("tokenizer.model", [0x1A, 0x02, 0x18, 0x01]);

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
        Assert.Contains("no pieces", exception.Message);
    }

    [Fact]
    public void Empty_tokenizer_model_is_invalid_data()
    {
        string path = WriteBytes("tokenizer.model", []);

        var exception = Assert.Throws<InvalidDataException>(() => SentencePieceBpeModel.FromFile(path));
        Assert.Contains(path, exception.Message);
    }

    [Fact]
    public void Unigram_tokenizer_model_is_not_supported()
    {
        // One UNKNOWN piece "a" and a TrainerSpec with model_type = UNIGRAM (1).
        string path = WriteBytes("tokenizer.model", [0x0A, 0x05, 0x0A, 0x01, (byte)'a', 0x18, 0x02, 0x12, 0x02, 0x18, 0x01]);

        var exception = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
        Assert.Contains("UNIGRAM", exception.Message);
    }

    [Fact]
    public void Malformed_tokenizer_json_is_invalid_data_naming_the_file()
    {
        string path = WriteText("tokenizer.json", "{ \"model\": { \"type\": \"BPE\", \"vocab\": ");

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
    }

    [Fact]
    public void Tokenizer_json_without_model_is_invalid_data()
    {
        string path = WriteText("tokenizer.json", "{ \"version\": \"1.0\" }");

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
        Assert.Contains("model", exception.Message);
    }

    [Theory]
    [InlineData("{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}", "Unigram")]
    [InlineData("{\"model\":{\"type\":\"WordPiece\",\"vocab\":{}}}", "WordPiece")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Metaspace\",\"replacement\":\"▁\",\"prepend_scheme\":\"sometimes\"}}", "prepend_scheme 'sometimes'")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":{\"type\":\"Whitespace\"}}", "pre_tokenizer 'Whitespace'")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"decoder\":{\"type\":\"WordPiece\"}}", "decoder 'WordPiece'")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"pre_tokenizer\":null,\"decoder\":{\"type\":\"ByteLevel\"}}", "ByteLevel")]
    [InlineData("{\"model\":{\"type\":\"BPE\",\"vocab\":{},\"merges\":[]},\"normalizer\":{\"type\":\"Lowercase\"}}", "Lowercase")]
    public void Unsupported_tokenizer_json_kinds_name_the_file_and_the_part(string json, string part)
    {
        string path = WriteText("tokenizer.json", json);

        var exception = Assert.Throws<NotSupportedException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
        Assert.Contains(part, exception.Message);
    }

    [Fact]
    public void Malformed_tokenizer_config_is_invalid_data_naming_the_file()
    {
        File.Copy(TokenizerFixtures.SpmModelPath, Path.Combine(_folder, "tokenizer.model"));
        string path = WriteText("tokenizer_config.json", "{ \"add_bos_token\": tru");

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
    }

    [Fact]
    public void Special_token_missing_from_the_vocabulary_is_invalid_data()
    {
        File.Copy(TokenizerFixtures.SpmModelPath, Path.Combine(_folder, "tokenizer.model"));
        string path = WriteText("tokenizer_config.json", "{ \"pad_token\": \"<pad>\" }");

        var exception = Assert.Throws<InvalidDataException>(() => HuggingFaceTokenizer.FromFolder(_folder));
        Assert.Contains(path, exception.Message);
        Assert.Contains("<pad>", exception.Message);
    }

    private string WriteBytes(string name, byte[] bytes)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteText(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }
}
