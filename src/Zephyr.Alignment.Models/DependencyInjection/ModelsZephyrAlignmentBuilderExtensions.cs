using Microsoft.Extensions.DependencyInjection.Extensions;
using Zephyr.Alignment;
using Zephyr.Alignment.Models;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Hugging Face Llama-family model loader (Llama, Mistral, Qwen2, Qwen3, SmolLM3).</summary>
public static class ModelsZephyrAlignmentBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="HuggingFaceModelLoader"/> as the <see cref="IPolicyModelLoader"/>, so trainers load
    /// policy and reference models from Hugging Face checkpoint folders.
    /// </summary>
    /// <param name="builder">The builder from <c>AddZephyrAlignment</c>.</param>
    /// <returns>The same builder.</returns>
    public static IZephyrAlignmentBuilder AddHuggingFaceModels(this IZephyrAlignmentBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<IPolicyModelLoader, HuggingFaceModelLoader>();
        return builder;
    }
}
