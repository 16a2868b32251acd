using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zephyr.Alignment.Runtime;

namespace Zephyr.Alignment.Models;

/// <summary>Loads Llama-family checkpoint folders (Llama, Mistral, Qwen2, Qwen3, SmolLM3) (<see cref="PretrainedModel.Load"/>) as <see cref="IPolicyModel"/>s.</summary>
/// <param name="logger">Receives the CPU fall-back warning when CUDA is requested, unavailable and fall-back is allowed.</param>
public sealed partial class HuggingFaceModelLoader(ILogger<HuggingFaceModelLoader>? logger = null) : IPolicyModelLoader
{
    private readonly ILogger logger = logger ?? NullLogger<HuggingFaceModelLoader>.Instance;

    /// <inheritdoc />
    public IPolicyModel Load(string path, TorchDeviceOptions device)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(device);
        return PretrainedModel.Load(path, ModelLoadOptions.From(device, warning => LogFallback(logger, warning)));
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "{Warning}")]
    private static partial void LogFallback(ILogger logger, string warning);
}
