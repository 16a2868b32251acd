using Zephyr.Alignment.Dpo;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Tests.Dpo.Trainer;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Training;

/// <summary>
/// Hugging Face's <c>overwrite_output_dir</c> rule: a fresh run never interleaves with another run's output, an
/// overwrite clears it up front, and rotation never deletes the checkpoint just written.
/// </summary>
[Collection(GlobalRandomStateCollection.Name)]
public sealed class OutputDirectoryGuardTests
{
    private static TrainingOptions Options(string output, int maxSteps)
    {
        TrainingOptions options = TinyTraining.Options(output);
        options.MaxSteps = maxSteps;
        options.SaveSteps = 3;
        options.SaveTotalLimit = 1;
        return options;
    }

    private static TrainingResult Train(TrainingOptions options)
    {
        using CausalLanguageModel model = TinyTraining.Model();
        return new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(8)), options).Run();
    }

    [Fact]
    public void A_fresh_shorter_run_into_a_used_folder_is_refused_naming_the_artefacts_and_the_two_ways_on()
    {
        // The reproduced data loss: --max_steps 6 --SaveSteps 3, then --max_steps 3 into the same folder used to delete
        // the new checkpoint-3 right after writing it, keep the stale checkpoint-6 and truncate metrics.jsonl.
        using var folder = new TempDirectory();
        Train(Options(folder.Path, maxSteps: 6));
        string metricsBefore = File.ReadAllText(folder.File("metrics.jsonl"));

        var error = Assert.Throws<OutputDirectoryInUseException>(() => Train(Options(folder.Path, maxSteps: 3)));

        Assert.Contains("checkpoint-6/", error.Message, StringComparison.Ordinal);
        Assert.Contains("metrics.jsonl", error.Message, StringComparison.Ordinal);
        Assert.Contains("ResumeFromCheckpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("OverwriteOutputDirectory", error.Message, StringComparison.Ordinal);
        Assert.Equal(Path.GetFullPath(folder.Path), error.OutputDirectory);
        Assert.Equal(metricsBefore, File.ReadAllText(folder.File("metrics.jsonl")));
        Assert.Equal([6L], CheckpointManager.List(folder.Path).Select(c => c.Step));
    }

    [Fact]
    public void Overwrite_removes_the_earlier_runs_artefacts_up_front_and_keeps_the_new_checkpoint_and_other_files()
    {
        using var folder = new TempDirectory();
        Train(Options(folder.Path, maxSteps: 6));
        using (CausalLanguageModel trained = TinyTraining.Model())
        {
            FinalModel.Save(trained, folder.Path);
        }

        File.WriteAllText(folder.File("notes.txt"), "mine");
        var callback = new RecordingCallback();
        TrainingOptions options = Options(folder.Path, maxSteps: 3);
        options.OverwriteOutputDirectory = true;

        using (CausalLanguageModel model = TinyTraining.Model())
        {
            // The old run's files are gone once the first step is taken, long before the new run could reach step 6.
            var seen = new List<bool>();
            callback.AfterStep = p =>
            {
                if (p.GlobalStep == 1)
                {
                    seen.Add(Directory.Exists(folder.File("checkpoint-6")) || File.Exists(folder.File("model.safetensors")));
                    seen.Add(!File.Exists(folder.File("metrics.jsonl")) || File.ReadAllLines(folder.File("metrics.jsonl")).Length == 0);
                }
            };
            new TrainingLoop<Tensor>(model, new CausalLmObjective(), new TokenRows(TinyTraining.Corpus(8)), options, callbacks: [callback]).Run();
            Assert.Equal([false, true], seen);
        }

        Assert.Equal([3L], CheckpointManager.List(folder.Path).Select(c => c.Step));
        Assert.Equal(3, File.ReadAllLines(folder.File("metrics.jsonl")).Length);
        Assert.False(File.Exists(folder.File("config.json")));
        Assert.Equal("mine", File.ReadAllText(folder.File("notes.txt")));
    }

    [Fact]
    public void Resuming_latest_into_the_same_folder_is_allowed()
    {
        using var folder = new TempDirectory();
        Train(Options(folder.Path, maxSteps: 3));
        TrainingOptions options = Options(folder.Path, maxSteps: 6);
        options.ResumeFromCheckpoint = "latest";
        var error = Record.Exception(() => Train(options));

        // A different MaxSteps is a changed schedule, which resume refuses by name; the folder itself is accepted.
        Assert.IsNotType<OutputDirectoryInUseException>(error);
    }

    [Fact]
    public void Rotation_never_deletes_the_checkpoint_just_written_even_below_a_higher_numbered_one()
    {
        using var folder = new TempDirectory();
        string three = MakeCheckpoint(folder, 3);
        string six = MakeCheckpoint(folder, 6);

        IReadOnlyList<string> removed = CheckpointManager.Rotate(folder.Path, keep: 1, justWritten: three);

        Assert.Equal([six], removed);
        Assert.True(Directory.Exists(three));
    }

    [Fact]
    public void Rotation_keeps_the_newest_others_beside_the_one_just_written()
    {
        using var folder = new TempDirectory();
        string one = MakeCheckpoint(folder, 1);
        string two = MakeCheckpoint(folder, 2);
        string three = MakeCheckpoint(folder, 3);

        Assert.Equal([one], CheckpointManager.Rotate(folder.Path, keep: 2, justWritten: three));
        Assert.Empty(CheckpointManager.Rotate(folder.Path, keep: 0, justWritten: three));
        Assert.True(Directory.Exists(two));
    }

    [Fact]
    public void Tokenizer_files_or_unrelated_files_alone_are_no_artefacts_but_a_model_with_them_is()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("tokenizer.json"), "{}");
        File.WriteAllText(folder.File("sft.yaml"), "x: 1");
        Assert.Empty(OutputDirectoryGuard.FindTrainingArtefacts(folder.Path));

        File.WriteAllText(folder.File("config.json"), "{}");
        File.WriteAllText(folder.File("model-00001-of-00002.safetensors"), "");
        Assert.Equal(
            ["config.json", "model-00001-of-00002.safetensors", "tokenizer.json"],
            OutputDirectoryGuard.FindTrainingArtefacts(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Overwrite_refuses_to_delete_what_the_run_reads()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("config.json"), "{}");
        File.WriteAllText(folder.File("model.safetensors"), "");
        var options = new TrainingOptions { OutputDirectory = folder.Path, OverwriteOutputDirectory = true };

        var error = Assert.Throws<InvalidOperationException>(() => OutputDirectoryGuard.ClaimForTraining(options, inputs: [folder.Path]));

        Assert.Contains("which this run reads", error.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(folder.File("model.safetensors")));
    }

    [Fact]
    public void Other_stages_claim_with_their_own_artefacts_and_advice()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("judgements.jsonl"), "{}");
        File.WriteAllText(folder.File("keep.txt"), "");
        string[] artefacts = [folder.File("judgements.jsonl"), folder.File("candidates.jsonl")];

        var error = Assert.Throws<OutputDirectoryInUseException>(() => OutputDirectoryGuard.Claim(
            folder.Path, artefacts, OutputDirectoryMode.New, resumeHint: "pass --resume", overwriteHint: "pass --overwrite"));
        Assert.Equal([folder.File("judgements.jsonl")], error.Artefacts);
        Assert.Contains("pass --resume", error.Message, StringComparison.Ordinal);
        Assert.Contains("pass --overwrite", error.Message, StringComparison.Ordinal);

        Assert.Empty(OutputDirectoryGuard.Claim(folder.Path, artefacts, OutputDirectoryMode.Resume));
        Assert.Equal([folder.File("judgements.jsonl")], OutputDirectoryGuard.Claim(folder.Path, artefacts, OutputDirectoryMode.Overwrite));
        Assert.False(File.Exists(folder.File("judgements.jsonl")));
        Assert.True(File.Exists(folder.File("keep.txt")));
    }

    [Fact]
    public void Overwrite_together_with_resume_latest_is_a_validation_error()
    {
        var options = new TrainingOptions { OverwriteOutputDirectory = true, ResumeFromCheckpoint = "latest" };

        var failures = new List<string>();
        TrainingOptionsValidator.AddFailures(options, failures);

        Assert.Contains(failures, f => f.Contains("OverwriteOutputDirectory", StringComparison.Ordinal) && f.Contains("latest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_dpo_trainer_refuses_a_used_folder_before_training_and_trains_once()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.File("metrics.jsonl"), "{\"step\": 1}\n");
        DpoOptions options = SyntheticPreferences.Options(folder.Path);
        options.MaxSteps = 1;
        using (var refused = new DpoTrainer(SyntheticPreferences.Model(), SyntheticPreferences.Model(), SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 1)), options))
        {
            await Assert.ThrowsAsync<OutputDirectoryInUseException>(() => refused.TrainAsync());
        }

        options.OverwriteOutputDirectory = true;
        using var trainer = new DpoTrainer(SyntheticPreferences.Model(), SyntheticPreferences.Model(), SyntheticPreferences.Dataset(SyntheticPreferences.Pairs(4, seed: 1)), options);
        Assert.Equal(1, (await trainer.TrainAsync()).GlobalStep);

        // Like the SFT trainer (whose loop runs once): a second call is an error, not a second run over the first's output.
        var again = await Assert.ThrowsAsync<InvalidOperationException>(() => trainer.TrainAsync());
        Assert.Contains("trains once", again.Message, StringComparison.Ordinal);
    }

    private static string MakeCheckpoint(TempDirectory folder, long step)
    {
        string path = Path.Combine(folder.Path, CheckpointManager.Prefix + step);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, CheckpointManager.StateFileName), "{}");
        return path;
    }
}
