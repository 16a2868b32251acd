using System.Text;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Pipeline;

public sealed class TensorBoardEventFileTests
{
    [Fact]
    public void The_crc32c_and_its_mask_match_the_published_check_values()
    {
        // CRC-32C("123456789") = 0xE3069283 (RFC 3720, iSCSI).
        Assert.Equal(0xE3069283u, TensorBoardEventFile.Crc32C(Encoding.ASCII.GetBytes("123456789")));
        Assert.Equal(0u, TensorBoardEventFile.Crc32C([]));
    }

    [Fact]
    public void Every_logged_metric_reads_back_from_the_event_file_with_its_step_and_the_file_version_first()
    {
        using var folder = new TempDirectory();
        var callback = new TensorBoardCallback(folder.Path);

        callback.OnLog(new TrainingProgress(5, 10, 0.5), new Dictionary<string, double> { ["loss"] = 1.25, ["rewards/accuracies"] = 0.75, ["epoch"] = 0.5 });
        callback.OnLog(new TrainingProgress(10, 10, 1), new Dictionary<string, double> { ["loss"] = 0.5, ["grad_norm"] = double.NaN });
        callback.Add("eval_rewards/margins", 0.125, 10);

        string file = Assert.Single(Directory.GetFiles(folder.Path, "events.out.tfevents.*"));
        List<TensorBoardEventFile.Event> events = TensorBoardEventFile.Read(file);
        Assert.Equal("brain.Event:2", events[0].FileVersion);
        var scalars = events.Skip(1).SelectMany(e => e.Scalars.Select(s => (e.Step, s.Tag, s.Value))).ToList();
        Assert.Equal(
            [(5L, "loss", 1.25f), (5L, "rewards/accuracies", 0.75f), (10L, "loss", 0.5f), (10L, "eval_rewards/margins", 0.125f)],
            scalars);
        Assert.All(events.Skip(1), e => Assert.True(e.WallTime > 1.6e9, "wall time in Unix seconds"));
    }

    [Fact]
    public void A_flipped_byte_is_caught_by_the_checksum()
    {
        using var folder = new TempDirectory();
        new TensorBoardCallback(folder.Path).OnLog(new TrainingProgress(1, 1, 1), new Dictionary<string, double> { ["loss"] = 2 });
        string file = Directory.GetFiles(folder.Path)[0];
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^6] ^= 0x40;
        File.WriteAllBytes(file, bytes);

        Assert.Throws<InvalidDataException>(() => TensorBoardEventFile.Read(file));
    }
}
