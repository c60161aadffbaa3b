//! Every user-facing string of the dashboard, in zh-CN and English.
//!
//! Views never hold literal text: they ask for a [`Key`] through [`I18n::t`]. The table is
//! checked at compile time (a missing language is a missing macro argument) and by the
//! tests below (no empty text, placeholders present in both languages).
//!
//! The locale comes from, in order: the `tombola_lang` cookie (set by the language
//! switch and at login from the account's choice), the browser's `Accept-Language`,
//! zh-CN. The server renders `<html lang>` with it; hydration reads it back from there.

use domain::Locale;
use leptos::prelude::*;

macro_rules! texts {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// A user-facing string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Key { $($key),* }

        impl Key {
            /// All keys, for the table's own tests.
            pub const ALL: &'static [Key] = &[$(Key::$key),*];

            /// The text in `locale`.
            pub fn text(self, locale: Locale) -> &'static str {
                match locale {
                    Locale::ZhCn => match self { $(Key::$key => $zh),* },
                    Locale::En => match self { $(Key::$key => $en),* },
                }
            }
        }
    };
}

texts! {
    AppName => "Tombola 抽奖", "Tombola";
    Tagline => "为你的 Telegram 社群举办公平透明的抽奖", "Provably fair giveaways for your Telegram community";
    PageTitleLogin => "登录", "Log in";
    PageTitleSignup => "注册", "Sign up";
    Email => "邮箱", "Email";
    Password => "密码", "Password";
    PasswordHint => "至少 8 个字符", "At least 8 characters";
    Company => "公司或显示名称", "Company or display name";
    LogIn => "登录", "Log in";
    LogOut => "退出登录", "Log out";
    SignUp => "注册", "Sign up";
    CreateAccount => "创建账户", "Create account";
    NoAccountYet => "还没有账户？", "No account yet?";
    HaveAccount => "已有账户？", "Already have an account?";
    Language => "语言", "Language";
    NavOverview => "概览", "Overview";
    NavBots => "机器人", "Bots";
    NavGiveaways => "抽奖活动", "Giveaways";
    NavUsage => "用量", "Usage";
    UsageBot => "机器人", "Bot";
    UsageRange => "时间范围", "Range";
    RangeHour => "最近 1 小时（按分钟）", "Last hour, by minute";
    RangeDay => "最近 24 小时（按小时）", "Last 24 hours, by hour";
    RangeMonth => "最近 30 天（按天）", "Last 30 days, by day";
    UsageShow => "查看", "Show";
    UsageInbox => "待处理的更新", "Updates waiting";
    UsageOutbox => "待发送的消息", "Messages waiting";
    UsageOldest => "最早的等待了", "oldest waiting";
    UsageSeconds => "{secs} 秒", "{secs} s";
    UsageWebhook => "Webhook 状态", "Webhook health";
    UsageWebhookPending => "Telegram 处积压的更新", "Updates held at Telegram";
    UsageWebhookError => "最近一次投递错误", "Last delivery error";
    UsageWebhookChecked => "检查时间", "Checked";
    UsagePolling => "此机器人通过长轮询接收更新，没有需要检查的 webhook。", "This bot receives updates by long polling: there is no webhook to check.";
    UsagePollsPerMinute => "上一分钟的 getUpdates 轮询：{n} 次", "getUpdates polls in the last minute: {n}";
    UsageCalls => "Bot API 调用", "Bot API calls";
    UsageMethod => "方法", "Method";
    UsageTotal => "合计", "Total";
    UsageEntries => "每日参与人数（最近 30 天）", "Entries per day (last 30 days)";
    UsageUtc => "时间均为 UTC。", "Times are in UTC.";
    OutcomeOk => "成功", "OK";
    Outcome4xx => "被拒绝（4xx）", "Refused (4xx)";
    Outcome429 => "请求过多（429）", "Too many requests (429)";
    Outcome5xx => "服务器错误（5xx）", "Server error (5xx)";
    OutcomeNetwork => "网络错误", "Network error";
    NavSettings => "设置", "Settings";
    NavOperator => "平台管理", "Operator";
    Menu => "菜单", "Menu";
    WelcomeTitle => "欢迎使用 Tombola，{name}", "Welcome to Tombola, {name}";
    WelcomeBody => "三步开始你的第一场抽奖：", "Three steps to your first giveaway:";
    StepConnectBot => "连接你的 Telegram 机器人", "Connect your Telegram bot";
    StepConnectBotBody => "在 @BotFather 创建机器人并粘贴它的令牌。", "Create a bot with @BotFather and paste its token.";
    StepCreateGiveaway => "创建一场抽奖", "Create a giveaway";
    StepCreateGiveawayBody => "设置奖品、名额、时间和参与条件。", "Set prizes, winner counts, schedule and join conditions.";
    StepShare => "分享并开奖", "Share it and draw";
    StepShareBody => "用户在 Telegram 一键参与；到点自动公平开奖并通知中奖者。", "Your audience joins in Telegram with one tap; the fair draw runs on time and winners are notified.";
    Open => "前往", "Open";
    BotsEmpty => "还没有连接机器人。", "No bot connected yet.";
    GiveawaysEmpty => "还没有抽奖活动。", "No giveaways yet.";
    UsageEmpty => "连接机器人后，这里会显示 API 调用和参与数据。", "API calls and entries appear here once a bot is connected.";
    SettingsTitle => "设置", "Settings";
    TimeZone => "时区", "Time zone";
    BotLanguage => "机器人默认语言", "Default bot language";
    Save => "保存", "Save";
    Saved => "已保存。", "Saved.";
    Loading => "加载中…", "Loading…";
    OperatorTitle => "平台管理", "Operator";
    SignupSetting => "自助注册", "Self-service sign-up";
    SignupIsOn => "任何人都可以注册新租户账户。", "Anyone can sign up for a new tenant account.";
    SignupIsOff => "自助注册已关闭；只能通过命令行创建账户。", "Self-service sign-up is off; accounts are created on the command line.";
    TurnOff => "关闭注册", "Turn sign-up off";
    TurnOn => "开启注册", "Turn sign-up on";
    TenantCount => "租户数量", "Tenants";
    NotFoundTitle => "页面不存在", "Page not found";
    NotFoundBody => "你要找的页面不存在或已被移动。", "The page you are looking for does not exist or has moved.";
    BackHome => "返回首页", "Back to the dashboard";
    ErrorTitle => "出错了", "Something went wrong";
    ErrorBody => "页面加载失败，请刷新重试。", "This page could not be loaded. Please reload and try again.";
    ErrInvalidCredentials => "邮箱或密码错误。", "Wrong email or password.";
    ErrTelegramUnreadable => "Telegram 对 {method} 的回复无法解析：Bot API 服务器（telegram-api-url）的回答与文档不符。", "Telegram answered {method} with something we could not read: the Bot API server (telegram-api-url) does not answer as documented.";
    BotReasonUnreadable => "Telegram 的回复无法解析（Bot API 服务器的回答与文档不符）。", "Telegram answered something we could not read (the Bot API server does not answer as documented).";
    ErrBusy => "服务器正忙，请稍后再试。", "The server is busy. Please try again in a moment.";
    ErrRateLimited => "尝试次数过多，请在 {minutes} 分钟后重试。", "Too many attempts. Try again in {minutes} minutes.";
    ErrEmailTaken => "该邮箱已注册。请直接登录。", "This email is already registered. Log in instead.";
    ErrConflict => "该记录已存在。", "This already exists.";
    ErrSignupDisabled => "自助注册已关闭，请联系平台管理员。", "Self-service sign-up is closed. Please contact the platform operator.";
    ErrUnauthorized => "登录已过期，请重新登录。", "Your session has expired. Please log in again.";
    ErrForbidden => "你没有权限执行此操作。", "You are not allowed to do this.";
    ErrNotFound => "找不到该内容。", "Not found.";
    ErrBadRequest => "请求无效，请刷新页面后重试。", "The request was not valid. Please reload the page and try again.";
    ErrInternal => "服务器内部错误，请稍后重试。", "Something went wrong on our side. Please try again later.";
    ErrRequired => "{field}：必填。", "{field}: required.";
    ErrTooLong => "{field}：太长了。", "{field}: too long.";
    ErrTooShort => "{field}：太短了。", "{field}: too short.";
    ErrInvalidEmail => "{field}：不是有效的邮箱地址。", "{field}: not a valid email address.";
    ErrForbiddenCharacters => "{field}：包含不允许的字符。", "{field}: contains characters that are not allowed.";
    ErrUnknownTimeZone => "{field}：未知的时区。", "{field}: unknown time zone.";
    ErrUnsupportedLanguage => "{field}：不支持的语言。", "{field}: unsupported language.";
    BotsTitle => "机器人", "Bots";
    BotsIntro => "连接你自己的 Telegram 机器人。你的用户在 Telegram 里与它对话：参与抽奖、查看我的抽奖、收到中奖通知。", "Connect your own Telegram bot. Your audience talks to it in Telegram: they join giveaways, see theirs, and hear when they win.";
    BotsHowTo => "如何获取令牌", "How to get a token";
    BotsStep1 => "在 Telegram 中打开 @BotFather。", "Open @BotFather in Telegram.";
    BotsStep2 => "发送 /newbot，按提示填写机器人的名称和以 bot 结尾的用户名。", "Send /newbot, then give your bot a name and a username ending in \"bot\".";
    BotsStep3 => "复制 BotFather 回复中的令牌（形如 123456789:AA…），粘贴到下面。", "Copy the token from BotFather's answer (it looks like 123456789:AA…) and paste it below.";
    BotToken => "机器人令牌", "Bot token";
    BotTokenHint => "令牌只用于连接，加密保存，之后不会再显示。", "The token is only used to connect; it is stored encrypted and never shown again.";
    ConnectBot => "连接机器人", "Connect bot";
    Connected => "已连接 @{username}。", "Connected @{username}.";
    BotStatusLive => "运行中", "Live";
    BotStatusStopped => "已停止", "Stopped";
    BotStatusRevoked => "令牌已失效", "Token revoked";
    BotStatusError => "出错", "Error";
    BotByWebhook => "通过 Webhook", "by webhook";
    BotByPolling => "通过轮询", "by polling";
    WebhookUrl => "Webhook 地址", "Webhook URL";
    ErrDifferentBot => "{field}：这是另一个机器人的令牌。", "{field}: this token belongs to a different bot.";
    ReplaceToken => "更换令牌", "Replace token";
    ReplaceTokenHelp => "在 @BotFather 中 /revoke 之后，把同一个机器人的新令牌粘贴到这里。它的数据都会保留。", "After /revoke in @BotFather, paste the same bot's new token here. Everything it has is kept.";
    DisableBot => "停用", "Disable";
    EnableBot => "启用", "Enable";
    RemoveBot => "移除", "Remove";
    ConfirmDisable => "停用 @{username}？停用后它不再回复用户，直到你重新启用。数据不会删除。", "Disable @{username}? It stops answering until you enable it again. Nothing is deleted.";
    ConfirmRemove => "移除 @{username}？Tombola 会忘记它的令牌和未处理的消息；之后可以随时重新连接。", "Remove @{username}? Tombola forgets its token and unprocessed updates; you can connect it again any time.";
    YesDisable => "确认停用", "Yes, disable";
    YesRemove => "确认移除", "Yes, remove";
    BotReasonStarting => "正在启动…", "Starting…";
    BotReasonTokenUnreadable => "无法解密令牌（密钥已更换？），请重新粘贴令牌。", "The stored token cannot be decrypted (was the secret key changed?); paste the token again.";
    ErrInvalidBotToken => "{field}：格式不对，应形如 123456789:AA…（数字、冒号和 35 个字符）。", "{field}: that is not a bot token; it looks like 123456789:AA… (digits, a colon and 35 characters).";
    ErrBotAlreadyYours => "这个机器人已经连接到你的账户。", "This bot is already connected to your account.";
    ErrBotElsewhere => "这个机器人已连接到另一个账户。如果它属于你，请在 @BotFather 中重新生成令牌（/revoke）后再连接。", "This bot is already connected to another account. If it is yours, issue a new token in @BotFather (/revoke) and connect again.";
    ErrTelegramRejectedToken => "Telegram 拒绝了这个令牌：它可能有误或已被撤销。", "Telegram rejected this token: it is wrong or has been revoked.";
    ErrTelegramUnavailable => "暂时无法连接 Telegram，请稍后重试。", "Telegram cannot be reached right now. Please try again in a moment.";
    ErrTelegramRefused => "Telegram 拒绝了请求，请稍后重试。", "Telegram refused the request. Please try again later.";
    Suspended => "此账户已被平台管理员暂停：机器人不再回复，面板为只读。请联系平台管理员。", "This account is suspended by the platform operator: its bots do not answer and the dashboard is read-only. Please contact the operator.";
    SuspendedBecause => "此账户已被平台管理员暂停（原因：{reason}）：机器人不再回复，面板为只读。请联系平台管理员。", "This account is suspended by the platform operator ({reason}): its bots do not answer and the dashboard is read-only. Please contact the operator.";
    ErrPlanBots => "你的套餐最多可连接 {limit} 个机器人。请先移除一个，或联系平台管理员升级套餐。", "Your plan allows {limit} bots. Remove one first, or ask the platform operator for a bigger plan.";
    ErrPlanOpenGiveaways => "你的套餐最多可同时进行 {limit} 场抽奖。请等一场结束，或联系平台管理员升级套餐。", "Your plan allows {limit} giveaways scheduled or open at once. Wait for one to end, or ask the platform operator for a bigger plan.";
    ErrPlanEntries => "你的套餐每场抽奖最多 {limit} 人参与。", "Your plan allows {limit} entries per giveaway.";
    ErrWebhookNeedsHttps => "{field}：平台没有配置公网 https 地址，只能使用轮询。", "{field}: the platform has no public https address, so only polling is possible.";
    ErrUnknownPlan => "{field}：未知的套餐。", "{field}: unknown plan.";
    BotMode => "接收方式", "Receive updates";
    SwitchToPolling => "改用轮询", "Switch to polling";
    SwitchToWebhook => "改用 Webhook", "Switch to webhook";
    Plan => "套餐", "Plan";
    PlanStarter => "入门版", "Starter";
    PlanPro => "专业版", "Pro";
    PlanBusiness => "企业版", "Business";
    PlanSummary => "{bots} 个机器人 · {giveaways} 场进行中的抽奖 · 每场 {entries} 人", "{bots} bots · {giveaways} open giveaways · {entries} entries each";
    TenantsTitle => "租户", "Tenants";
    TenantName => "名称", "Name";
    TenantBots => "机器人", "Bots";
    TenantSince => "注册时间", "Since";
    TenantGiveaways => "抽奖", "Giveaways";
    TenantEntries => "参与", "Entries";
    TenantLastActivity => "最近活动", "Last activity";
    TenantErrors => "错误（24 小时）", "Errors (24 h)";
    TenantStatus => "状态", "Status";
    TenantActive => "正常", "Active";
    TenantSuspended => "已暂停", "Suspended";
    Suspend => "暂停", "Suspend";
    Resume => "恢复", "Resume";
    SuspendReason => "原因（可选，租户可见）", "Reason (optional, shown to the tenant)";
    Never => "从未", "Never";
    BotsUsed => "已用 {used} / {limit} 个机器人", "{used} of {limit} bots used";
    ErrInvalidNumber => "{field}：请输入范围内的整数。", "{field}: enter a whole number in range.";
    ErrInvalidDateTime => "{field}：不是有效的日期和时间。", "{field}: not a valid date and time.";
    ErrEndBeforeStart => "{field}：结束时间必须晚于开始时间。", "{field}: the end must come after the start.";
    ErrInPast => "{field}：不能是过去的时间。", "{field}: must be in the future.";
    ErrInvalidChat => "{field}：每行一个频道或群组，写成 @名称 或 -100… 形式的 ID。", "{field}: one channel or group per line, as @name or a -100… id.";
    ErrTooMany => "{field}：太多了。", "{field}: too many.";
    ErrCapBelowWinners => "{field}：不能少于中奖人数。", "{field}: cannot be below the number of winners.";
    ErrInvalidPrizeLine => "{field}：每行写成「奖品 × 人数」。", "{field}: write each line as “prize × winners”.";
    GaTitle => "标题", "Title";
    GaDescription => "说明", "Description";
    GaPrizes => "奖品", "Prizes";
    GaPrizesHint => "每行一个奖品，写成「奖品 × 人数」，例如「50 元红包 × 10」。", "One prize per line as “prize × winners”, e.g. “Gift card × 10”.";
    GaReserves => "候补人数", "Reserve winners";
    GaStartsAt => "开始时间", "Starts";
    GaEndsAt => "结束时间", "Ends";
    GaBot => "机器人", "Bot";
    GaConditions => "参与条件：必须加入的频道或群组", "Condition: member of these channels or groups";
    GaConditionsHint => "每行一个，@名称 或 -100… ID；机器人需要是那里的管理员才能核验。留空则不限。", "One per line, @name or -100… id; the bot must be an admin there to check. Empty: no condition.";
    GaCaptcha => "参与前先回答一道简单的算术题（防机器人）", "Ask a quick sum before joining (keeps bots out)";
    GaMaxEntries => "参与人数上限", "Entry cap";
    GaReferralCap => "邀请好友最多多得几张奖券", "Extra tickets for inviting friends, at most";
    GaReferralCapHint => "留空或 0：不开启邀请。开启后每位参与者都有专属邀请链接，每位通过链接新参加的朋友为其增加 1 张奖券（0–100）；抽奖按奖券数加权，奖券数公开在名单里。", "Empty or 0: no invitations. Otherwise every entrant gets a personal link, and each friend who joins through it adds one ticket (0–100); the draw is weighted by tickets, which the public list shows.";
    GaAnnounceChat => "频道或群组", "Channel or group";
    ErrGiveawayLocked => "这场抽奖当前的状态不允许这样修改（见页面上的修改规则）。", "This giveaway's state does not allow that change (see the edit rules on the page).";
    GaDraft => "草稿", "Draft";
    GaScheduled => "未开始", "Scheduled";
    GaOpen => "进行中", "Open";
    GaClosed => "已截止", "Closed";
    GaDrawn => "已开奖", "Drawn";
    GaCancelled => "已取消", "Cancelled";
    GaEnded => "已结束", "ended";
    GaLeft => "还剩 {span}", "{span} left";
    GaNew => "新建抽奖", "New giveaway";
    GaStatus => "状态", "Status";
    GaEntries => "参与人数", "Entries";
    GaNeedsBot => "先连接一个机器人，抽奖活动由它运行。", "Connect a bot first; it runs the giveaway.";
    GaEdit => "编辑", "Edit";
    GaTimesIn => "时间按时区：", "Times are in";
    GaRulesTitle => "修改规则", "Edit rules";
    GaRules => "草稿：都可以改。未开始：除机器人外都可以改。进行中：只能改标题、说明，以及把结束时间推后。截止、开奖或取消后：不能再改。这样谁都无法在有人参与之后改变结果。", "Draft: everything. Scheduled: everything but the bot. Open: only the title, the description, and a later end. Closed, drawn or cancelled: nothing. So nobody can change an outcome once people have joined.";
    GaEntryList => "参与名单", "Entries";
    GaSearch => "搜索", "Search";
    GaSearchHint => "名字、@用户名、公示名或 #编号", "name, @username, pseudonym or #number";
    GaNoEntries => "还没有人参与。", "No entries yet.";
    GaPseudonym => "公示名", "Pseudonym";
    GaVia => "来源", "Via";
    GaTickets => "奖券", "Tickets";
    GaEntryRules => "参与规则", "Entry rules";
    GaPremiumOnly => "只限 Telegram Premium 用户", "Telegram Premium users only";
    GaPastWinnerDays => "排除最近几天内赢过本店抽奖的用户（天）", "Exclude users who won one of your giveaways in the last … days";
    GaBoostChat => "助力（Boost）的频道", "Channel to boost";
    GaBoostRequired => "必须先为该频道助力才能参加", "Joining needs a boost of that channel";
    GaBoostTicketsCap => "每次助力加 1 张奖券，最多加几张", "One extra ticket per boost, at most";
    GaRulesHint => "机器人需是该频道的管理员才能查看助力。开奖时会再次检查助力条件。", "The bot must be an administrator of that channel to see boosts. The boost condition is checked again at the draw.";
    GaReferrals => "邀请人数", "Friends invited";
    GaJoinedAt => "参与时间", "Joined";
    GaPageOf => "第 {page}/{pages} 页，共 {total} 条", "Page {page} of {pages}, {total} in all";
    GaPrev => "上一页", "Previous";
    GaNext => "下一页", "Next";
    GaFairness => "公平性", "Fairness";
    GaFairnessBody => "发布时公开种子的承诺值；截止时冻结名单并公开其哈希；开奖后公开种子。任何人都能据此重算中奖者。", "The commitment to a secret seed is public from publication; at the close the entry list is frozen and its hash published; after the draw the seed is revealed. Anyone can recompute the winners.";
    GaCommitment => "承诺值", "Commitment";
    GaEntriesHash => "名单哈希", "Entry list hash";
    GaSeed => "种子", "Seed";
    GaVerifyLink => "公开验证页", "Public verification page";
    GaWinners => "中奖者", "Winners";
    GaPublish => "发布", "Publish";
    GaCancel => "取消抽奖", "Cancel giveaway";
    GaConfirmCancel => "确定取消？已参与的记录会保留，但不会开奖。", "Cancel it? Entries are kept, but there will be no draw.";
    GaYesCancel => "确认取消", "Yes, cancel";
    GaCsvEntries => "导出参与名单 CSV", "Entries as CSV";
    GaCsvWinners => "导出中奖名单 CSV", "Winners as CSV";
    GaAnnounce => "在频道或群组发布（机器人需为管理员）", "Announce in a channel or group (the bot must be an admin)";
    GaAnnounceButton => "发布公告", "Announce";
    GaFailBlocked => "已屏蔽机器人", "blocked the bot";
    GaFailNotStarted => "从未启动机器人", "never started the bot";
    GaFailDeactivated => "账号已注销", "account deleted";
    GaFailOther => "其他错误", "other errors";
    GaNoticeCounts => "通知：已发送 {sent} · 待发送 {pending} · 失败 {failed}", "Notices: {sent} sent · {pending} pending · {failed} failed";
    VerifyTitle => "验证开奖", "Verify a draw";
    VerifyIntro => "这里用公开的名单、名单哈希、承诺值和种子重新计算中奖者。计算在你的浏览器里进行。", "This page recomputes the winners from the published entry list, its hash, the commitment and the seed. The computation runs in your browser.";
    VerifyOk => "验证通过：结果与公开数据一致。", "Verified: the result matches the published data.";
    VerifyBad => "验证失败：结果与这份名单不一致。", "Not verified: the result does not match this list.";
    VerifyInBrowser => "已在你的浏览器中计算。", "Computed in your browser.";
    VerifyOnServer => "由服务器用同一份代码计算（启用 JavaScript 可在浏览器中计算）。", "Computed by the server with the same code (enable JavaScript to compute it in your browser).";
    VerifyCheckCommitment => "种子与发布时的承诺值一致", "The seed matches the commitment published in advance";
    VerifyCheckEntries => "名单与截止时公开的哈希一致", "The list matches the hash published at the close";
    VerifyCheckWinners => "重新抽取得到相同的中奖者", "Drawing again gives the same winners";
    VerifyList => "参与名单（编号 公示名）", "Entry list (number pseudonym)";
    VerifyFacts => "公开的开奖数据（draw.json）", "Published facts (draw.json)";
    VerifyFactsHint => "种子、哈希、中奖者和随机信标的签名；改动任何一项，相应的检查都会失败。", "The seed, the hashes, the winners and the beacon's signature; change any of them and the check it belongs to fails.";
    VerifyListHint => "可以粘贴你下载的名单来核对；改动任何一行，验证都会失败。", "Paste a list you downloaded to check it; change any line and the check fails.";
    VerifyProtocol => "抽奖规则", "Draw rules";
    ErrNoReserveLeft => "候补已全部用完，不能再替换中奖者。", "Every reserve has stepped in already: no winner can be replaced.";
    GaReroll => "替换中奖者", "Replace a winner";
    GaClaimHours => "中奖者须在几小时内领奖", "Hours a winner has to claim the prize";
    GaClaimHoursHint => "留空或 0：无需领奖。开启后中奖私信带「领奖」按钮；逾期未领的奖品按公开顺序交给下一位候补，并公开记录。", "Empty or 0: no claiming. Otherwise the winner's message has a Claim button; a prize not claimed in time goes to the next reserve in the published order, and that is published.";
    GaRerollNumber => "中奖者编号", "Winner's entry number";
    GaRerollReason => "原因（会公开）", "Reason (published)";
    GaRerollHint => "奖品交给下一位候补；原结果和这次替换都会公开在验证页。", "The prize goes to the next reserve; the first result and this replacement are both published on the verify page.";
    VerifyCheckBeacon => "随机信标这一轮的签名属于该信标链（用其公钥验证 BLS 签名）", "The beacon round's signature is the chain's (its BLS signature checked with the chain's public key)";
    VerifyCheckRerolls => "每次替换中奖者，奖品都依次给了下一位候补", "Each replaced winner's prize went to the next reserve, in order";
    VerifyRerolls => "替换记录（最初的结果保留在上方）", "Replacements (the first result stays above)";
    RerollUnclaimed => "未在期限内领奖", "prize not claimed in time";
    RerollUnreachable => "无法联系（屏蔽了机器人或从未启动）", "could not be reached (blocked the bot or never started it)";
    RerollManual => "主办方替换", "replaced by the organiser";
    VerifyProtocolV1 => "第 1 版：每个参与者一次机会；未使用公开随机信标（由种子和名单决定）", "version 1: one chance per entry; no public randomness beacon (the seed and the list decide)";
    VerifyProtocolV2 => "第 2 版：按奖券数加权抽取，每行末尾是该参与者的奖券数；未使用公开随机信标（由种子和名单决定）", "version 2: picks weighted by tickets; each line ends with that entry's ticket count; no public randomness beacon (the seed and the list decide)";
    VerifyProtocolV3 => "第 3 版：按奖券数加权抽取，随机数还取决于公开随机信标（drand）在截止后的一轮签名", "version 3: picks weighted by tickets, with randomness that also depends on a public beacon (drand) round signed after the close";
    VerifyBeacon => "随机信标", "Randomness beacon";
    VerifyBeaconQuicknet => "drand quicknet 第 {round} 轮", "drand quicknet, round {round}";
    VerifyBeaconTest => "⚠ 测试信标（本地生成的密钥，不是 drand）第 {round} 轮", "⚠ TEST beacon (a locally generated key, not drand), round {round}";
    GaBeaconWait => "已截止，正在等待随机信标这一轮（{at} 发布）：拿到并验证其签名后立即开奖。", "Closed, waiting for the beacon: the draw runs as soon as this round (published at {at}) is fetched and its signature checked.";
    VerifyDownloadList => "下载名单", "Download the list";
    VerifyDownloadDraw => "下载开奖数据（JSON）", "Download the draw data (JSON)";
    VerifyPending => "还没有开奖。承诺值已公开，开奖后这里可以验证。", "Not drawn yet. The commitment is public; the draw can be verified here once it has run.";
    GaMinAccountDays => "账号至少注册几天（按用户 ID 估算）", "Minimum account age in days (estimated from the user id)";
    GaMinAccountDaysHint => "这是估算：Telegram 不公开账号的注册日期，这里按一张“用户 ID ↔ 已知注册日期”对照表推算。比对照表最后一个参照点更新的账号，只知道晚于该点，只有在它也不够天数时才会被拒绝。", "An estimate: Telegram does not tell when an account was made, so it is read off a table of user ids with known sign-up dates. An account newer than the table's last point is only known to be newer than it, and is refused only when even that point is too recent.";
    GaCodes => "兑换码", "Prize codes";
    GaCodesHint => "每行一个兑换码，或读入 CSV 文件（第一列是兑换码）。兑换码加密保存，只有你能在这里看到。中奖者在中奖私信里收到兑换码；设置了领奖时限时，点「领奖」后收到。未送达的兑换码会随替换交给下一位候补。", "One code per line, or read a CSV file (the first column is the code). Codes are stored encrypted and only you see them here. A winner gets their code in the winner's message, or, with a claim window, when they press Claim. A code that never reached its winner goes with the prize to the next reserve.";
    GaCodesPrize => "奖品", "Prize";
    GaCodesText => "兑换码（每行一个）", "Codes (one per line)";
    GaCodesFile => "或读入 CSV 文件", "Or read a CSV file";
    GaCodesAdd => "添加兑换码", "Add codes";
    GaCodesAdded => "已添加 {added} 个兑换码；{dups} 个已经有了。", "Added {added} codes; {dups} were there already.";
    GaCodesRemove => "删除未发出的兑换码", "Remove unused codes";
    GaCodesNone => "还没有兑换码。", "No codes yet.";
    GaCodesSummary => "{prize}：{total} 个，已发出 {given} 个", "{prize}: {total} codes, {given} given";
    GaCodeCol => "兑换码", "Code";
    GaCodeWinner => "中奖者", "Winner";
    GaCodeGivenAt => "发出时间", "Given at";
    GaCodeClaimed => "已领奖", "Claimed";
    GaCodeFree => "未发出", "not given";
    ErrPrizeCodes => "这些奖品已经上传了兑换码：先删除未发出的兑换码，再修改奖品。", "These prizes have codes: remove the unused codes before changing the prizes.";
    GaClaimedTag => "✓ 已领奖", "✓ claimed";
    GaClaimBy => "领奖截止 {at}", "claim by {at}";
    Hydrated => "已就绪", "Ready";
    ErrMiniAppData => "请在 Telegram 中从抽奖机器人打开这个页面。", "Open this page from the giveaway's bot in Telegram.";
    ErrMiniAppExpired => "这个页面打开太久了：请关闭后从机器人重新打开。", "This page has been open too long: close it and open it again from the bot.";
    MiniOpening => "正在打开…", "Opening…";
    MiniNeedsJs => "这是一个 Telegram 小程序页面：请在 Telegram 中从抽奖机器人打开它（需要 JavaScript）。", "This is a Telegram Mini App page: open it from the giveaway's bot in Telegram (it needs JavaScript).";
    MiniEndsIn => "还剩 {time}", "Ends in {time}";
    MiniEnded => "已截止", "Ended";
    MiniDaysHours => "{d} 天 {h} 小时", "{d} d {h} h";
    MiniHoursMinutes => "{h} 小时 {m} 分钟", "{h} h {m} min";
    MiniMinutes => "{m} 分钟", "{m} min";
    MiniEntries => "已参与：{n} 人", "Entries so far: {n}";
    MiniConditions => "参与条件", "To join";
    MiniCaptcha => "先回答：{a} + {b} = ?", "First, answer: {a} + {b} = ?";
    MiniJoin => "✅ 参与抽奖", "✅ Join";
    MiniYourEntry => "你已参与：编号 #{number}（公示名 {pseudonym}）", "You're in: entry #{number} (shown as {pseudonym})";
    MiniNotOpenYet => "尚未开始", "Not open yet";
    MiniClosed => "已截止，即将开奖", "Closed: the draw is coming";
    MiniCancelled => "已取消", "Cancelled";
    MiniDrawn => "已开奖", "Drawn";
    MiniWon => "🎉 你中奖了：{prize}", "🎉 You won: {prize}";
    MiniLost => "这次没有中奖。", "Not this time.";
    MiniChecking => "正在验证开奖…", "Checking the draw…";
    MiniTestBeacon => "⚠ 本次开奖使用的是测试信标（本地生成的密钥，不是 drand）", "⚠ This draw used a TEST beacon (a locally generated key, not drand)";
    MiniVerifyLink => "查看完整验证", "See the full check";
    MiniOpenGiveaways => "进行中的抽奖", "Open giveaways";
    MiniMine => "我的参与", "My entries";
    MiniNone => "暂无", "None yet";
}

/// The current locale as a reactive value, provided at the root of the app.
#[derive(Debug, Clone, Copy)]
pub struct I18n {
    pub locale: RwSignal<Locale>,
}

impl I18n {
    /// The text for `key` in the current locale; tracks the locale.
    pub fn t(&self, key: Key) -> &'static str {
        key.text(self.locale.get())
    }
}

/// A page title in the current language. On the server the text is read once, here:
/// leptos_meta renders the `<title>` later, possibly outside the reactive arena of the
/// request, where reading a signal panics. In the browser it follows the language switch.
pub fn title(key: Key) -> leptos::text_prop::TextProp {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    {
        leptos::text_prop::TextProp::from(i18n.t(key))
    }
    #[cfg(not(feature = "ssr"))]
    {
        leptos::text_prop::TextProp::from(move || i18n.t(key))
    }
}

/// The app's i18n context.
pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

/// Provides the i18n context: on the server from the request, in the browser from the
/// `lang` attribute the server rendered.
pub fn provide_i18n() -> I18n {
    let i18n = I18n {
        locale: RwSignal::new(initial_locale()),
    };
    provide_context(i18n);
    i18n
}

#[cfg(feature = "ssr")]
fn initial_locale() -> Locale {
    use_context::<http::request::Parts>()
        .map(|parts| locale_of(&parts.headers))
        .unwrap_or_default()
}

#[cfg(not(feature = "ssr"))]
fn initial_locale() -> Locale {
    #[cfg(feature = "hydrate")]
    {
        leptos::prelude::document()
            .document_element()
            .and_then(|e| e.get_attribute("lang"))
            .and_then(|l| Locale::from_tag(&l))
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    Locale::default()
}

/// The cookie that remembers a chosen language.
pub const LANG_COOKIE: &str = "tombola_lang";

/// The locale of a request: the language cookie, then `Accept-Language`, then zh-CN.
#[cfg(feature = "ssr")]
pub fn locale_of(headers: &http::HeaderMap) -> Locale {
    use http::header::{ACCEPT_LANGUAGE, COOKIE};
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(name, _)| *name == LANG_COOKIE)
        .and_then(|(_, value)| Locale::from_tag(value))
        .or_else(|| {
            headers
                .get(ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_exists_in_every_language_with_the_same_placeholders() {
        for key in Key::ALL {
            let placeholders = |s: &str| {
                let mut v: Vec<String> = s
                    .split('{')
                    .skip(1)
                    .filter_map(|p| p.split_once('}').map(|(n, _)| n.to_owned()))
                    .collect();
                v.sort();
                v
            };
            let zh = key.text(Locale::ZhCn);
            let en = key.text(Locale::En);
            assert!(!zh.trim().is_empty() && !en.trim().is_empty(), "{key:?}");
            assert_eq!(placeholders(zh), placeholders(en), "{key:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn cookie_beats_accept_language_which_beats_default() {
        use http::header::{ACCEPT_LANGUAGE, COOKIE};
        let mut h = http::HeaderMap::new();
        assert_eq!(locale_of(&h), Locale::ZhCn);
        h.insert(ACCEPT_LANGUAGE, "en-GB,en;q=0.8".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::En);
        h.insert(COOKIE, "a=b; tombola_lang=zh-CN".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::ZhCn);
        h.insert(COOKIE, "tombola_lang=klingon".parse().unwrap());
        assert_eq!(locale_of(&h), Locale::En);
    }

    #[test]
    fn languages_differ_where_they_should() {
        assert_ne!(Key::LogIn.text(Locale::ZhCn), Key::LogIn.text(Locale::En));
    }
}
