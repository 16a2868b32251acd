using System.Text.Json;
using TorchSharp;
using TorchSharp.Modules;
using Zephyr.Alignment.Lora;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tests.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Lora;

/// <summary>
/// The adapter folder against PEFT's format as its source defines it (huggingface/peft 0.20.1.dev0,
/// src/peft/peft_model.py save_pretrained, utils/save_and_load.py get_peft_model_state_dict, config.py save_pretrained):
/// keys are the PeftModel state-dict keys with the adapter name removed, the weights file carries {"format": "pt"}, and
/// adapter_config.json is the LoraConfig as sorted JSON with inference_mode true.
/// </summary>
public sealed class PeftAdapterLayoutTests
{
    [Fact]
    public void The_saved_folder_has_PEFTs_file_names_keys_dtypes_and_configuration()
    {
        using var folder = new TempDirectory();
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel lora = LoraModel.Create(model, new LoraConfig { R = 4, LoraAlpha = 16, LoraDropout = 0.05, TargetModules = ["q_proj", "v_proj"] });
        lora.Save(folder.File("adapter"));

        Assert.Equal(["adapter_config.json", "adapter_model.safetensors"], Directory.GetFiles(folder.File("adapter")).Select(Path.GetFileName).Order());
        using (SafeTensorsReader reader = SafeTensorsReader.Open(folder.File("adapter/adapter_model.safetensors")))
        {
            string[] expected =
            [
                "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
                "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight",
                "base_model.model.model.layers.0.self_attn.v_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.q_proj.lora_A.weight",
                "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight",
                "base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight",
                "base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight",
            ];
            Assert.Equal(expected, reader.Tensors.Select(t => t.Name).Order(StringComparer.Ordinal));
            Assert.Equal("pt", reader.Metadata["format"]);
            SafeTensorInfo a = reader.GetInfo(expected[0]);
            SafeTensorInfo b = reader.GetInfo(expected[3]);
            Assert.Equal("F32", a.DTypeName);
            Assert.Equal([4L, 32L], a.Shape);   // [r, hidden]
            Assert.Equal([16L, 4L], b.Shape);   // v_proj: [kv_heads·head_dim, r]
        }

        string text = File.ReadAllText(folder.File("adapter/adapter_config.json"));
        using JsonDocument json = JsonDocument.Parse(text);
        JsonElement root = json.RootElement;
        string[] keys = [.. root.EnumerateObject().Select(p => p.Name)];
        Assert.Equal(keys.Order(StringComparer.Ordinal), keys);   // json.dumps(sort_keys=True)
        Assert.StartsWith("{\n  \"", text.ReplaceLineEndings("\n"), StringComparison.Ordinal);   // indent=2
        Assert.Equal("LORA", root.GetProperty("peft_type").GetString());
        Assert.Equal("CAUSAL_LM", root.GetProperty("task_type").GetString());
        Assert.Equal(4, root.GetProperty("r").GetInt32());
        Assert.Equal("16", root.GetProperty("lora_alpha").GetRawText());
        Assert.Equal("0.05", root.GetProperty("lora_dropout").GetRawText());
        Assert.Equal(["q_proj", "v_proj"], root.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal("none", root.GetProperty("bias").GetString());
        Assert.False(root.GetProperty("fan_in_fan_out").GetBoolean());
        Assert.False(root.GetProperty("use_rslora").GetBoolean());
        Assert.False(root.GetProperty("use_dora").GetBoolean());
        Assert.True(root.GetProperty("inference_mode").GetBoolean());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("base_model_name_or_path").ValueKind);   // a random model has no source
        Assert.Equal(JsonValueKind.Null, root.GetProperty("modules_to_save").ValueKind);
    }

    [Fact]
    public void A_saved_adapter_loads_back_bit_exactly_onto_a_fresh_base()
    {
        using var folder = new TempDirectory();
        using Tensor adaptedLogits = SaveTrainedLikeAdapter(folder.File("adapter"), new LoraConfig { R = 3, LoraAlpha = 5, UseRslora = true, TargetModules = [LoraConfig.AllLinear] }, out Dictionary<string, byte[]> saved);

        using CausalLanguageModel fresh = TinyTraining.Model();
        using LoraModel loaded = LoraModel.Load(fresh, folder.File("adapter"));
        Assert.Equal(saved.Keys.Order(), loaded.NamedAdapterParameters().Select(p => p.Name).Order());
        foreach (var (name, parameter) in loaded.NamedAdapterParameters())
        {
            Assert.Equal(saved[name], TinyTraining.Bytes(parameter));
        }

        // PEFT's default: a loaded adapter is for inference unless is_trainable.
        Assert.Empty(loaded.NamedTrainableParameters());
        Assert.True(loaded.LoraConfig.UseRslora);
        Assert.Equal(3, loaded.LoraConfig.R);
        using Tensor logits = LoraModelTests.Logits(loaded);
        Assert.True(LoraModelTests.Identical(logits, adaptedLogits));

        // all-linear is saved as the layer names it expanded to, as PEFT condenses it.
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(folder.File("adapter/adapter_config.json")));
        Assert.Equal(
            ["down_proj", "gate_proj", "k_proj", "o_proj", "q_proj", "up_proj", "v_proj"],
            json.RootElement.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void A_PEFT_written_bfloat16_adapter_with_unknown_keys_loads_widened_to_float32_for_training()
    {
        using var folder = new TempDirectory();
        string adapter = Directory.CreateDirectory(folder.File("peft")).FullName;

        // As PEFT 0.x writes it: a peft_version key this library does not know, target_modules in set order.
        File.WriteAllText(Path.Combine(adapter, "adapter_config.json"), """
            {
              "alpha_pattern": {},
              "auto_mapping": null,
              "base_model_name_or_path": "HuggingFaceH4/mistral-7b-sft-beta",
              "bias": "none",
              "fan_in_fan_out": false,
              "inference_mode": true,
              "init_lora_weights": true,
              "lora_alpha": 16,
              "lora_dropout": 0.1,
              "modules_to_save": null,
              "peft_type": "LORA",
              "peft_version": "0.17.0",
              "r": 2,
              "rank_pattern": {},
              "revision": null,
              "target_modules": ["v_proj", "o_proj"],
              "task_type": "CAUSAL_LM",
              "use_dora": false,
              "use_rslora": false
            }
            """);
        var tensors = new List<(string Name, Tensor Tensor)>();
        using var generator = new Generator(4);
        foreach (int layer in new[] { 0, 1 })
        {
            foreach (var (module, input, output) in new[] { ("v_proj", 32L, 16L), ("o_proj", 32L, 32L) })
            {
                string prefix = $"base_model.model.model.layers.{layer}.self_attn.{module}";
                tensors.Add(($"{prefix}.lora_A.weight", randn([2, input], generator: generator).to(ScalarType.BFloat16)));
                tensors.Add(($"{prefix}.lora_B.weight", randn([output, 2], generator: generator).to(ScalarType.BFloat16)));
            }
        }

        SafeTensorsWriter.Write(Path.Combine(adapter, "adapter_model.safetensors"), tensors);
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel lora = LoraModel.Load(model, adapter, isTrainable: true);

        Assert.Equal("HuggingFaceH4/mistral-7b-sft-beta", lora.LoraConfig.BaseModelNameOrPath);
        Assert.Equal(8, lora.LoraConfig.Scaling);
        Assert.Equal(8, lora.NamedTrainableParameters().Count());
        foreach (var (name, tensor) in tensors)
        {
            Parameter loaded = lora.NamedAdapterParameters().Single(p => p.Name == name).Parameter;
            Assert.Equal(ScalarType.Float32, loaded.dtype);
            Assert.True(LoraModelTests.Identical(loaded, tensor.to(ScalarType.Float32)), name);
            tensor.Dispose();
        }
    }

    [Theory]
    [InlineData("\"use_dora\": true", "use_dora")]
    [InlineData("\"rank_pattern\": {\"q_proj\": 8}", "rank_pattern")]
    [InlineData("\"modules_to_save\": [\"lm_head\"]", "modules_to_save")]
    [InlineData("\"fan_in_fan_out\": true", "fan_in_fan_out")]
    [InlineData("\"bias\": \"lora_only\"", "bias")]
    [InlineData("\"target_modules\": [\"c_attn\"]", "c_attn")]
    public void An_adapter_asking_for_an_unsupported_PEFT_feature_is_refused_by_name(string entry, string named)
    {
        using var folder = new TempDirectory();
        SaveTrainedLikeAdapter(folder.File("adapter"), new LoraConfig(), out _).Dispose();
        string path = folder.File("adapter/adapter_config.json");
        using (JsonDocument json = JsonDocument.Parse(File.ReadAllText(path)))
        {
            string key = entry[1..entry.IndexOf('"', 1)];
            var others = json.RootElement.EnumerateObject().Where(p => p.Name != key).Select(p => $"\"{p.Name}\": {p.Value.GetRawText()}");
            File.WriteAllText(path, "{" + string.Join(", ", others.Append(entry)) + "}");
        }

        using CausalLanguageModel model = TinyTraining.Model();
        var e = Assert.Throws<CheckpointException>(() => LoraModel.Load(model, folder.File("adapter")));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
        Assert.Contains("adapter_config.json", e.Message, StringComparison.Ordinal);
        Assert.NotEmpty(model.NamedTrainableParameters());   // nothing stays injected
    }

    [Fact]
    public void Missing_and_unexpected_adapter_tensors_are_named()
    {
        using var folder = new TempDirectory();
        SaveTrainedLikeAdapter(folder.File("adapter"), new LoraConfig(), out Dictionary<string, byte[]> saved).Dispose();
        string weights = folder.File("adapter/adapter_model.safetensors");
        string dropped = saved.Keys.Order(StringComparer.Ordinal).Last();
        List<(string Name, Tensor Tensor)> kept;
        using (SafeTensorsReader reader = SafeTensorsReader.Open(weights))
        {
            kept = [.. reader.Tensors.Where(t => t.Name != dropped).Select(t => (t.Name, reader.ReadTensor(t.Name)))];
        }

        SafeTensorsWriter.Write(weights, kept);
        using CausalLanguageModel model = TinyTraining.Model();
        var missing = Assert.Throws<CheckpointException>(() => LoraModel.Load(model, folder.File("adapter")));
        Assert.Equal(dropped, missing.TensorName);

        kept.Add(("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight", zeros(8, 32)));
        SafeTensorsWriter.Write(weights, kept);
        var unexpected = Assert.Throws<CheckpointException>(() => LoraModel.Load(model, folder.File("adapter")));
        Assert.Equal("base_model.model.model.layers.0.mlp.up_proj.lora_A.weight", unexpected.TensorName);
        kept.ForEach(t => t.Tensor.Dispose());
    }

    [Fact]
    public void Reloading_an_adapter_of_another_scaling_into_the_same_shapes_is_refused()
    {
        using var folder = new TempDirectory();
        SaveTrainedLikeAdapter(folder.File("adapter"), new LoraConfig { R = 8, LoraAlpha = 16 }, out _).Dispose();
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel other = LoraModel.Create(model, new LoraConfig { R = 8, LoraAlpha = 32 });
        var e = Assert.Throws<CheckpointException>(() => other.ReloadWeights(folder.File("adapter")));
        Assert.Contains("scaling", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Saves an adapter with random B matrices and returns its logits and saved bytes.</summary>
    private static Tensor SaveTrainedLikeAdapter(string directory, LoraConfig config, out Dictionary<string, byte[]> saved)
    {
        using CausalLanguageModel model = TinyTraining.Model();
        using LoraModel lora = LoraModel.Create(model, config, seed: 6);
        LoraModelTests.Perturb(lora);
        lora.Save(directory);
        saved = lora.NamedAdapterParameters().ToDictionary(p => p.Name, p => TinyTraining.Bytes(p.Parameter));
        return LoraModelTests.Logits(lora);
    }
}
