using System.Text.Json.Nodes;
using TorchSharp;
using Zephyr.Alignment.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Broken checkpoint folders fail with an exception naming the file and tensor, and leave nothing allocated.</summary>
[Collection(MemorySensitiveCollection.Name)]
public sealed class LoadErrorTests
{
    [Fact]
    public void Missing_folder_is_named()
    {
        string folder = Path.Combine(Path.GetTempPath(), "no-such-model-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        Assert.Contains(folder, error.Message);
    }

    [Fact]
    public void Folder_without_config_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        File.Delete(Path.Combine(folder, "config.json"));
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        Assert.Contains("config.json", error.Message);
        Assert.Equal(Path.Combine(folder, "config.json"), error.FilePath);
    }

    [Theory]
    [InlineData("model_type", "\"gpt2\"", "model_type 'gpt2'")]
    [InlineData("architectures", "[\"Qwen3MoeForCausalLM\"]", "Architecture 'Qwen3MoeForCausalLM'")]
    [InlineData("rope_scaling", "{\"rope_type\": \"longrope\", \"factor\": 8.0}", "rope_scaling type 'longrope'")]
    [InlineData("rope_scaling", "{\"type\": \"su\", \"factor\": 2.0}", "rope_scaling type 'su'")]
    [InlineData("rope_parameters", "{\"rope_type\": \"proportional\", \"rope_theta\": 10000.0}", "rope_parameters type 'proportional'")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act 'gelu'")]
    [InlineData("num_key_value_heads", "3", "not a multiple")]
    public void Unsupported_config_is_a_clear_error_naming_the_value_and_file(string key, string json, string expectedText)
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        EditConfig(folder, config => config[key] = JsonNode.Parse(json));
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        Assert.Contains(expectedText, error.Message);
        Assert.Contains(Path.Combine(folder, "config.json"), error.Message);
    }

    [Fact]
    public void Config_json_that_is_not_json_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        File.WriteAllText(Path.Combine(folder, "config.json"), "{ \"model_type\": ");
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        Assert.Contains("not valid JSON", error.Message);
    }

    [Fact]
    public void Newer_rope_parameters_layout_is_accepted_and_gives_the_same_logits()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-mistral");
        EditConfig(folder, config =>
        {
            config["rope_parameters"] = JsonNode.Parse("{\"rope_theta\": 1000000.0, \"rope_type\": \"default\"}");
            config.Remove("rope_theta");
            config["dtype"] = config["torch_dtype"]!.GetValue<string>();
            config.Remove("torch_dtype");
        });
        using var edited = PretrainedModel.Load(folder);
        using var original = ModelFixtures.Load("tiny-mistral");
        Assert.Equal(1_000_000.0, edited.Config.ResolvedRopeTheta);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor ids = ModelFixtures.Ids([1, 300, 362, 354, 274, 404, 261, 367, 295, 268, 398, 417]);
        Assert.True(ModelFixtures.BitEqual(original.Forward(ids), edited.Forward(ids)));

        string saved = scratch.PathOf("saved");
        edited.Save(saved);
        JsonObject savedConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!.AsObject();
        Assert.False(savedConfig.ContainsKey("torch_dtype"));
        Assert.Equal("float32", savedConfig["dtype"]!.GetValue<string>());
        Assert.Equal("default", savedConfig["rope_parameters"]!["rope_type"]!.GetValue<string>());
    }

    [Fact]
    public void Missing_tensor_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        RewriteWeights(folder, tensors => tensors.RemoveAll(t => t.Name == "model.norm.weight"));
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("model.norm.weight", error.TensorName);
        Assert.Contains("missing", error.Message);
        Assert.Contains("model.safetensors", error.Message);
    }

    [Fact]
    public void Unexpected_tensor_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        RewriteWeights(folder, tensors => tensors.Add(("model.layers.2.mlp.up_proj.weight", zeros(176, 64))));
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("model.layers.2.mlp.up_proj.weight", error.TensorName);
        Assert.Contains("not a parameter", error.Message);
    }

    [Fact]
    public void Shape_mismatch_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        RewriteWeights(folder, tensors =>
        {
            int at = tensors.FindIndex(t => t.Name == "model.layers.1.self_attn.k_proj.weight");
            tensors[at] = (tensors[at].Name, zeros(16, 64));
        });
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("model.layers.1.self_attn.k_proj.weight", error.TensorName);
        Assert.Contains("shape [16, 64]", error.Message);
        Assert.Contains("[32, 64]", error.Message);
    }

    [Fact]
    public void Integer_tensor_for_a_weight_is_a_dtype_mismatch()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        RewriteWeights(folder, tensors =>
        {
            int at = tensors.FindIndex(t => t.Name == "model.norm.weight");
            tensors[at] = (tensors[at].Name, ones([64], ScalarType.Int64));
        });
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("model.norm.weight", error.TensorName);
        Assert.Contains("I64", error.Message);
    }

    [Fact]
    public void Tensor_duplicated_across_shards_names_both_files()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama-bf16-sharded");
        string first = Path.Combine(folder, "model-00001-of-00002.safetensors");
        string second = Path.Combine(folder, "model-00002-of-00002.safetensors");
        using (var reader = SafeTensorsReader.Open(second))
        using (var norm = reader.ReadTensor("model.norm.weight"))
        {
            RewriteFile(first, tensors => tensors.Add(("model.norm.weight", norm.alias())));
        }

        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("model.norm.weight", error.TensorName);
        Assert.Contains(first, error.Message);
        Assert.Contains(second, error.Message);
    }

    [Fact]
    public void Shard_named_in_the_index_but_absent_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama-bf16-sharded");
        string second = Path.Combine(folder, "model-00002-of-00002.safetensors");
        File.Delete(second);
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal(second, error.FilePath);
        Assert.Contains("does not exist", error.Message);
        Assert.NotNull(error.TensorName);
    }

    [Fact]
    public void Index_pointing_at_a_shard_without_the_tensor_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama-bf16-sharded");
        RewriteFile(Path.Combine(folder, "model-00002-of-00002.safetensors"), tensors => tensors.RemoveAll(t => t.Name == "lm_head.weight"));
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal("lm_head.weight", error.TensorName);
        Assert.Contains("model-00002-of-00002.safetensors", error.Message);
    }

    [Fact]
    public void Folder_without_weights_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        File.Delete(Path.Combine(folder, "model.safetensors"));
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains(folder, error.Message);
    }

    [Fact]
    public void Truncated_weights_file_is_named()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-llama");
        string weights = Path.Combine(folder, "model.safetensors");
        byte[] bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(bytes.Length / 2)]);
        var error = AssertLoadFailsCleanly(folder);
        Assert.Equal(weights, error.FilePath);
        Assert.Contains("outside the file", error.Message);
    }

    private static CheckpointException AssertLoadFailsCleanly(string folder)
    {
        // Thread-local counts: tests running in parallel on other threads cannot disturb them, and a leaked tensor
        // finalized later is counted on the finalizer thread, so it still shows here.
        long liveBefore = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var error = Assert.Throws<CheckpointException>(() => PretrainedModel.Load(folder));
        long liveAfter = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.True(liveBefore == liveAfter, $"live tensors on this thread: {liveBefore} before, {liveAfter} after the failed load");
        return error;
    }

    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        string path = Path.Combine(folder, "config.json");
        JsonObject config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
    }

    private static void RewriteWeights(string folder, Action<List<(string Name, Tensor Tensor)>> edit)
        => RewriteFile(Path.Combine(folder, "model.safetensors"), edit);

    private static void RewriteFile(string path, Action<List<(string Name, Tensor Tensor)>> edit)
    {
        using var scope = NewDisposeScope();
        List<(string Name, Tensor Tensor)> tensors;
        using (var reader = SafeTensorsReader.Open(path))
        {
            tensors = [.. reader.Tensors.Select(t => (t.Name, reader.ReadTensor(t.Name)))];
        }

        edit(tensors);
        SafeTensorsWriter.Write(path, tensors);
    }
}
