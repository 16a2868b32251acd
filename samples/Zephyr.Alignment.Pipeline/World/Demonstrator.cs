using System.Globalization;

namespace Zephyr.Alignment.Pipeline.World;

/// <summary>
/// The assistant that writes the dSFT demonstrations, in the role GPT-3.5-turbo played for UltraChat: a weaker model than
/// the <see cref="ProgrammaticTeacher"/>, which judges AIF in GPT-4's role. It knows every answer, but it has two habits of
/// chat models that the teacher's rubric marks down:
/// <list type="bullet">
/// <item>a <b>chatty preamble</b>: it opens a share of its answers to answerable requests with <see cref="Preamble"/>, even
/// when the prompt asks for the bare answer (the format check fails; the content is still there);</item>
/// <item><b>made-up answers</b>: it answers a share of the unanswerable requests with a confident made-up number instead of
/// refusing (dishonest).</item>
/// </list>
/// </summary>
/// <remarks>
/// <para>
/// This is the gap the paper's recipe relies on: dSFT imitates the demonstrator, habits included, and dDPO on the teacher's
/// preferences is what can take them away again ("intent alignment"). With both rates 0 every demonstration is the teacher's
/// ideal answer and dDPO has only the model's content to change; docs/pipeline.md has the mini run's measurements of both.
/// </para>
/// <para>The habits and their rates were fixed before any run with them was seen; they are settings, not tuned to the results.</para>
/// </remarks>
internal sealed class Demonstrator
{
    /// <summary>The pleasantry of the chatty preamble habit (a space follows it).</summary>
    public const string Preamble = "Sure!";

    /// <summary>Creates the demonstrator.</summary>
    /// <param name="teacher">Writes the ideal answer the demonstrator starts from.</param>
    /// <param name="preambleRate">Share of answerable requests whose answer opens with <see cref="Preamble"/>, in [0, 1].</param>
    /// <param name="madeUpAnswerRate">Share of unanswerable requests answered with a made-up number, in [0, 1].</param>
    public Demonstrator(ProgrammaticTeacher teacher, double preambleRate, double madeUpAnswerRate)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        ThrowIfNotRate(preambleRate, nameof(preambleRate));
        ThrowIfNotRate(madeUpAnswerRate, nameof(madeUpAnswerRate));
        Teacher = teacher;
        PreambleRate = preambleRate;
        MadeUpAnswerRate = madeUpAnswerRate;
    }

    /// <summary>The teacher whose ideal answers the demonstrator starts from.</summary>
    public ProgrammaticTeacher Teacher { get; }

    /// <summary>Share of answerable requests answered with the chatty preamble.</summary>
    public double PreambleRate { get; }

    /// <summary>Share of unanswerable requests answered with a made-up number.</summary>
    public double MadeUpAnswerRate { get; }

    /// <summary>
    /// Writes one demonstration per task, in order; each draws its habit independently (a task that repeats in the list
    /// may get different demonstrations), from <paramref name="seed"/>, so the same seed writes the same demonstrations.
    /// </summary>
    /// <param name="tasks">The tasks.</param>
    /// <param name="seed">Seed of the habit draws.</param>
    /// <returns>The demonstrations, one per task.</returns>
    public List<string> Demonstrate(IReadOnlyList<WorldTask> tasks, int seed)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        var random = new Random(seed);
        var demonstrations = new List<string>(tasks.Count);
        foreach (WorldTask task in tasks)
        {
            // Two draws per task whatever its kind, so one task's habit never shifts another's.
            double habit = random.NextDouble();
            int madeUp = random.Next(1, 30);
            string ideal = Teacher.Demonstrate(task);
            demonstrations.Add(task.Kind == TaskKind.Refusal
                ? habit < MadeUpAnswerRate ? string.Create(CultureInfo.InvariantCulture, $"The answer is {madeUp}.") : ideal
                : habit < PreambleRate ? $"{Preamble} {ideal}" : ideal);
        }

        return demonstrations;
    }

    private static void ThrowIfNotRate(double rate, string name)
    {
        if (!(rate >= 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(name, rate, "A rate must be between 0 and 1.");
        }
    }
}
