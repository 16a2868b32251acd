using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Zephyr.Alignment.Pipeline.Recipe;

/// <summary>The real recipe (placeholder until written).</summary>
internal static class RecipeRun
{
    public static Task<int> RunAsync(IConfiguration configuration, string recipeFile, ILoggerFactory loggers, CancellationToken cancellationToken)
        => throw new NotSupportedException(recipeFile);
}
