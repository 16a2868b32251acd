using Microsoft.Extensions.Options;

namespace Zephyr.Alignment.Aif.Binarization;

/// <summary>Checks <see cref="BinarizationOptions"/>, reporting every problem at once.</summary>
public sealed class BinarizationOptionsValidator : IValidateOptions<BinarizationOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, BinarizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!Enum.IsDefined(options.Strategy))
        {
            failures.Add($"Strategy '{options.Strategy}' is not one of {string.Join(", ", Enum.GetNames<BinarizationStrategy>())}.");
        }

        if (options.Margin is { } margin)
        {
            if (options.Strategy != BinarizationStrategy.AllPairsAboveMargin)
            {
                failures.Add($"Margin ({margin}) applies only to Strategy AllPairsAboveMargin, not {options.Strategy}; remove it or change the strategy.");
            }
            else if (!double.IsFinite(margin) || margin < 0)
            {
                failures.Add($"Margin must be a finite number >= 0; got {margin}.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
