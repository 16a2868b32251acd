using TorchSharp.Modules;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Sft.Masking;
using Zephyr.Alignment.Training;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Sft;

public sealed class SftLossMaskTests
{
    private static readonly ConversationMessage[] Conversation =
    [
        SftTestKit.System("Answer briefly."),
        SftTestKit.User("What comes after c?"),
        SftTestKit.Assistant("It is d."),
        SftTestKit.User("And after x?"),
        SftTestKit.Assistant("It is y."),
    ];

    [Fact]
    public void Labels_keep_masked_tokens_unshifted_and_ignore_the_rest_and_the_first_token()
    {
        long[] labels = LossMask.Labels([1, 5, 6, 7, 8], [true, false, true, true, false]);

        Assert.Equal([-100L, -100, 6, 7, -100], labels);
    }

    [Fact]
    public void Assistant_only_loss_keeps_exactly_the_assistant_turns_and_their_eos()
    {
        TokenizedConversation tokenized = Tokenize(Conversation);
        long[] labels = LossMask.Labels(tokenized.InputIds, new LossMask().Apply(tokenized, isConversational: true).CompletionMask);

        // Contiguous runs of trained tokens, decoded: one per assistant turn, each ending with its eos.
        var runs = new List<string>();
        var run = new List<int>();
        for (int t = 0; t <= labels.Length; t++)
        {
            if (t < labels.Length && labels[t] != LossMask.IgnoreIndex)
            {
                run.Add(tokenized.InputIds[t]);
            }
            else if (run.Count > 0)
            {
                runs.Add(SftTestKit.Tokenizer.Decode(run).Trim());
                run.Clear();
            }
        }

        Assert.Equal(["It is d.</s>", "It is y.</s>"], runs);
    }

    [Fact]
    public void Turning_assistant_only_loss_off_trains_on_every_token_but_the_first()
    {
        TokenizedConversation tokenized = Tokenize(Conversation);
        TokenizedConversation all = new LossMask(assistantOnlyLoss: false).Apply(tokenized, isConversational: true);
        long[] labels = LossMask.Labels(all.InputIds, all.CompletionMask);

        Assert.Equal(LossMask.IgnoreIndex, labels[0]);
        Assert.All(labels.Skip(1), label => Assert.NotEqual(LossMask.IgnoreIndex, label));
    }

    [Fact]
    public void Completion_only_loss_applies_to_prompt_completion_pairs_and_not_to_conversations()
    {
        var tokenizer = new ConversationTokenizer(SftTestKit.Tokenizer, ChatTemplates.Default.Get("zephyr"));
        TokenizedConversation pair = tokenizer.Tokenize(new ConversationExample { PromptText = "The sky is", CompletionText = " blue" })!;
        TokenizedConversation conversation = Tokenize(Conversation);
        var mask = new LossMask(assistantOnlyLoss: true, completionOnlyLoss: false);

        Assert.All(mask.Apply(pair, isConversational: false).CompletionMask, Assert.True);
        Assert.Same(conversation, mask.Apply(conversation, isConversational: true));
        Assert.Same(pair, new LossMask().Apply(pair, isConversational: false));
        Assert.Equal("blue</s>", SftTestKit.Tokenizer.Decode(pair.InputIds.Where((_, t) => pair.CompletionMask[t])).Trim());
    }

    [Fact]
    public void No_prompt_or_user_token_contributes_to_the_loss_or_its_gradient()
    {
        TokenizedConversation tokenized = new LossMask().Apply(Tokenize(Conversation), isConversational: true);
        using SftBatch batch = SftDataset.Unpacked([tokenized]).Collate([0]);
        using var scope = NewDisposeScope();
        int length = tokenized.InputIds.Length;
        long[] labels = batch.Labels.data<long>().ToArray();
        int vocabulary = SftTestKit.Tokenizer.VocabularySize;
        using var policy = new FixedLogitsPolicy(randn(1, length, vocabulary, generator: new Generator(11)));

        ObjectiveOutput output = new SftObjective().ComputeLoss(policy, batch, training: true);
        output.Loss.backward();
        Tensor gradient = policy.Logits.grad!; // [1, T, V]

        // Position t predicts token t + 1: its gradient is nonzero exactly when that token is an assistant token.
        int trainedPositions = 0;
        for (int t = 0; t < length; t++)
        {
            bool nextInLoss = t + 1 < length && labels[t + 1] != LossMask.IgnoreIndex;
            double norm = gradient[0, t].abs().sum().item<float>();
            if (nextInLoss)
            {
                trainedPositions++;
                Assert.True(norm > 0, $"position {t} predicts an assistant token but has no gradient");
            }
            else
            {
                Assert.Equal(0.0, norm);
            }
        }

        Assert.Equal(tokenized.CompletionMask.Count(m => m), trainedPositions);

        // Changing the logits that predict prompt, system or user tokens leaves the loss bit-identical.
        float before = output.Loss.item<float>();
        Tensor outsideLoss = tensor(Enumerable.Range(0, length).Select(t => t + 1 >= length || labels[t + 1] == LossMask.IgnoreIndex).ToArray())
            .reshape(1, length, 1);
        using var perturbed = new FixedLogitsPolicy(policy.Logits.detach() + (outsideLoss * randn(1, length, vocabulary) * 10));
        float after = new SftObjective().ComputeLoss(perturbed, batch, training: false).Loss.item<float>();
        Assert.Equal(before, after);
    }

    private static TokenizedConversation Tokenize(IReadOnlyList<ConversationMessage> messages)
        => new ConversationTokenizer(SftTestKit.Tokenizer, ChatTemplates.Default.Get("zephyr")).Tokenize(new ConversationExample { Messages = messages })!;

    /// <summary>A policy whose logits are a fixed leaf tensor, so the test can read the gradient with respect to them.</summary>
    private sealed class FixedLogitsPolicy : IPolicyModel
    {
        public FixedLogitsPolicy(Tensor logits)
        {
            Logits = logits.detach().clone().requires_grad_(true);
        }

        public Tensor Logits { get; }

        public int VocabularySize => (int)Logits.shape[2];

        public Device Device => CPU;

        public ScalarType DType => ScalarType.Float32;

        public bool IsTraining { get; private set; }

        public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, Tensor? positionIds = null)
        {
            Assert.Equal(Logits.shape[..2], inputIds.shape);
            return Logits;
        }

        public IEnumerable<(string Name, Parameter Parameter)> NamedTrainableParameters() => [];

        public void MoveTo(Device device, ScalarType? dtype = null)
        {
        }

        public void SetTrainingMode(bool training) => IsTraining = training;

        public void Save(string directory) => throw new NotSupportedException();

        public void Dispose()
        {
            // The logits belong to the test's dispose scope.
        }
    }
}
