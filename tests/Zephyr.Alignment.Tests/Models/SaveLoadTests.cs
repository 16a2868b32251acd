using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using Zephyr.Alignment.Models;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Models;

/// <summary>Saving writes a Hugging Face folder that loads back bit for bit.</summary>
public sealed class SaveLoadTests
{
    [Theory]
    [InlineData("tiny-llama", ScalarType.Float32)]
    [InlineData("tiny-llama-tied", ScalarType.Float32)]
    [InlineData("tiny-mistral", ScalarType.Float32)]
    [InlineData("tiny-llama-bf16-sharded", ScalarType.BFloat16)]
    [InlineData("tiny-llama-bf16-sharded", ScalarType.Float32)]
    public void Save_then_load_is_bit_exact(string fixture, ScalarType dtype)
    {
        using var scratch = new CheckpointScratch();
        using var original = ModelFixtures.Load(fixture, dtype);
        string saved = scratch.PathOf("saved");
        original.Save(saved);
        using var reloaded = PretrainedModel.Load(saved, new ModelLoadOptions { DType = dtype });

        AssertSameParameters(original, reloaded);
        string savedDType = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!["torch_dtype"]!.GetValue<string>();
        Assert.Equal(dtype == ScalarType.BFloat16 ? "bfloat16" : "float32", savedDType);
    }

    [Fact]
    public void Bf16_checkpoint_loaded_in_bf16_keeps_the_stored_bits_and_in_float32_upcasts_them_exactly()
    {
        using var bf16 = ModelFixtures.Load("tiny-llama-bf16-sharded", ScalarType.BFloat16);
        using var fp32 = ModelFixtures.Load("tiny-llama-bf16-sharded", ScalarType.Float32);
        using var reader = SafeTensorsReader.Open(Path.Combine(ModelFixtures.PathOf("tiny-llama-bf16-sharded"), "model-00001-of-00002.safetensors"));
        using var stored = reader.ReadTensor("model.embed_tokens.weight");
        Assert.Equal(ScalarType.BFloat16, stored.dtype);
        using var scope = NewDisposeScope();
        Assert.True(ModelFixtures.BitEqual(stored, bf16.NamedTrainableParameters().Single(p => p.Name == "model.embed_tokens.weight").Parameter));
        Assert.True(ModelFixtures.BitEqual(stored.to(ScalarType.Float32), fp32.NamedTrainableParameters().Single(p => p.Name == "model.embed_tokens.weight").Parameter));
    }

    [Fact]
    public void Large_models_are_sharded_with_a_hugging_face_index()
    {
        using var scratch = new CheckpointScratch();
        using var original = ModelFixtures.Load("tiny-llama");
        string saved = scratch.PathOf("sharded");
        PretrainedModel.Save(original, saved, new ModelSaveOptions { MaxShardSizeBytes = 200_000 });

        Assert.False(File.Exists(Path.Combine(saved, "model.safetensors")));
        ShardIndex index = ShardIndex.Load(Path.Combine(saved, ShardIndex.FileName));
        int count = index.ShardFiles.Count;
        Assert.True(count >= 3, $"{count} shards");
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"model-{i:D5}-of-{count:D5}.safetensors"), index.ShardFiles);
        long totalBytes = original.NamedTrainableParameters().Sum(p => p.Parameter.NumberOfElements * 4);
        Assert.Equal(totalBytes, index.TotalSize);
        foreach (string shard in index.ShardFiles)
        {
            Assert.True(new FileInfo(Path.Combine(saved, shard)).Length <= 200_000 + 4096);
        }

        using var reloaded = PretrainedModel.Load(saved);
        AssertSameParameters(original, reloaded);
    }

    [Fact]
    public void Tied_model_saves_without_lm_head_and_the_file_has_the_fixture_tensors()
    {
        using var scratch = new CheckpointScratch();
        using var original = ModelFixtures.Load("tiny-llama-tied");
        string saved = scratch.PathOf("tied");
        original.Save(saved);
        using var savedReader = SafeTensorsReader.Open(Path.Combine(saved, "model.safetensors"));
        using var fixtureReader = SafeTensorsReader.Open(Path.Combine(ModelFixtures.PathOf("tiny-llama-tied"), "model.safetensors"));
        Assert.DoesNotContain(savedReader.Tensors, t => t.Name == "lm_head.weight");
        Assert.Equal(fixtureReader.Tensors.Select(t => (t.Name, t.DTypeName, string.Join(",", t.Shape))),
            savedReader.Tensors.Select(t => (t.Name, t.DTypeName, string.Join(",", t.Shape))));
        Assert.Equal("pt", savedReader.Metadata["format"]);
    }

    [Fact]
    public void Config_keeps_every_key_and_tokenizer_files_are_copied()
    {
        using var scratch = new CheckpointScratch();
        using var original = ModelFixtures.Load("tiny-llama-bf16-sharded");
        string saved = scratch.PathOf("copy");
        original.Save(saved);

        JsonObject before = JsonNode.Parse(File.ReadAllText(Path.Combine(ModelFixtures.PathOf("tiny-llama-bf16-sharded"), "config.json")))!.AsObject();
        JsonObject after = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!.AsObject();
        Assert.Equal(before.Select(p => p.Key).Order(), after.Select(p => p.Key).Order());
        foreach (var (key, value) in before)
        {
            if (key != "torch_dtype")
            {
                Assert.True(JsonNode.DeepEquals(value, after[key]) || (value is JsonValue v && after[key] is JsonValue w && v.ToString() == w.ToString()),
                    $"{key}: {value?.ToJsonString()} became {after[key]?.ToJsonString()}");
            }
        }

        Assert.Equal("float32", after["torch_dtype"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(File.ReadAllText(Path.Combine(saved, "config.json"))).RootElement.GetProperty("rope_scaling").ValueKind);
        foreach (string file in new[] { "tokenizer.model", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(ModelFixtures.PathOf("tiny-llama-bf16-sharded"), file)), File.ReadAllBytes(Path.Combine(saved, file)));
        }
    }

    [Fact]
    public void Saving_replaces_an_existing_folder_and_leaves_no_temporary_folders()
    {
        using var scratch = new CheckpointScratch();
        string target = scratch.PathOf("target");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "stale.txt"), "old");
        using var model = ModelFixtures.Load("tiny-llama");
        model.Save(target);

        Assert.False(File.Exists(Path.Combine(target, "stale.txt")));
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));
        Assert.Equal(["target"], Directory.EnumerateFileSystemEntries(scratch.Root).Select(Path.GetFileName));
    }

    [Fact]
    public void A_model_can_be_saved_over_the_folder_it_was_loaded_from()
    {
        using var scratch = new CheckpointScratch();
        string folder = scratch.CopyFixture("tiny-mistral");
        using var model = PretrainedModel.Load(folder);
        model.Save(folder);
        using var reloaded = PretrainedModel.Load(folder);
        AssertSameParameters(model, reloaded);
        Assert.True(File.Exists(Path.Combine(folder, "tokenizer.model")));
    }

    [Fact]
    public void Saving_to_a_path_that_is_a_file_fails_and_keeps_the_file()
    {
        using var scratch = new CheckpointScratch();
        string file = scratch.PathOf("occupied");
        File.WriteAllText(file, "x");
        using var model = ModelFixtures.Load("tiny-llama");
        Assert.Throws<CheckpointException>(() => model.Save(file));
        Assert.Equal("x", File.ReadAllText(file));
    }

    private static void AssertSameParameters(CausalLanguageModel expected, CausalLanguageModel actual)
    {
        var expectedParameters = expected.NamedTrainableParameters().ToDictionary(p => p.Name, p => p.Parameter);
        var actualParameters = actual.NamedTrainableParameters().ToDictionary(p => p.Name, p => p.Parameter);
        Assert.Equal(expectedParameters.Keys.Order(), actualParameters.Keys.Order());
        foreach (var (name, parameter) in expectedParameters)
        {
            Assert.True(ModelFixtures.BitEqual(parameter, actualParameters[name]), $"{name} differs after save and load");
        }
    }
}
