"""Demo article text: every story's paragraphs are its own.

A paragraph is composed from phrase pools (written for this demo, in the
Indonesian of a business daily): a circumstance, an actor from the article's
section, an action, then an observer and their assessment, sometimes with a
figure or a closing line. Which five pieces a paragraph gets is not drawn at
random but read off its number ``n = index * PARAGRAPH_SLOTS + slot`` through
a bijection of ``range(PARAGRAPH_SPACE)`` (multiply by a unit, add, take the
mixed-radix digits), so two paragraphs never share all five pieces and no
paragraph appears in two articles, up to ``PARAGRAPH_SPACE // PARAGRAPH_SLOTS``
(about 2.8 million) articles. Pull quotes work the same way on the article
index (distinct up to ``QUOTE_SPACE``, 432,000 articles). Sub-heads, speakers,
figures and the shape of the body come from the article's seeded ``Random``.

No pool uses the word "inflasi": it is the benchmark's search term, and how
many articles match it should not change with the demo text.
"""

import random

# --- Paragraph pieces ----------------------------------------------------------------

CIRCUMSTANCES = [
    "Sepanjang semester pertama tahun ini",
    "Di tengah ketidakpastian ekonomi global",
    "Menjelang akhir tahun anggaran",
    "Setelah permintaan domestik kembali menguat",
    "Sejak awal kuartal ini",
    "Di tengah pelemahan harga komoditas",
    "Menyusul keputusan bank sentral pekan lalu",
    "Dalam tiga bulan terakhir",
    "Meski biaya logistik masih tinggi",
    "Seiring membaiknya daya beli masyarakat",
    "Ketika banyak pesaing memilih menahan diri",
    "Berbeda dengan tahun lalu",
    "Di luar perkiraan banyak analis",
    "Menjelang musim libur panjang",
    "Setelah sempat tertekan pada awal tahun",
    "Dengan nilai tukar yang relatif stabil",
    "Di tengah persaingan yang makin ketat",
    "Sebelum aturan baru berlaku bulan depan",
    "Seusai rapat umum pemegang saham",
    "Dalam paparan kinerja kepada investor",
    "Selama masa transisi kebijakan",
    "Begitu angka pertumbuhan terbaru diumumkan",
    "Di sela kunjungan kerja ke daerah",
    "Sementara pasar ekspor utama melambat",
    "Mengikuti tren di negara tetangga",
    "Karena pasokan bahan baku sempat tersendat",
    "Untuk menjaga momentum pertumbuhan",
    "Dalam rapat dengar pendapat di parlemen",
    "Sesudah evaluasi kinerja paruh tahun",
    "Ketika bunga pinjaman mulai turun",
    "Di tengah cuaca yang sulit diprediksi",
    "Pada pertengahan pekan ini",
    "Menanggapi keluhan para pelanggan",
    "Setelah dua tahun tanpa ekspansi",
    "Di tengah lonjakan harga energi",
    "Sejalan dengan target pemerintah",
    "Meski belum ada kepastian regulasi",
    "Dalam laporan keuangan terbarunya",
    "Sambil menunggu hasil audit",
    "Tidak lama setelah pergantian direksi",
]

# Who acts, by section (the slugs of ``articles.demo.SECTIONS``); the pools are
# disjoint and of equal size, so the digits below mean the same in every section.
ACTORS = {
    "ekonomi": [
        "Kementerian Keuangan",
        "Badan Pusat Statistik",
        "asosiasi pengusaha ritel",
        "kamar dagang daerah",
        "sejumlah produsen makanan olahan",
        "pemerintah provinsi di Jawa Timur",
        "kelompok usaha mikro dan kecil",
        "gabungan eksportir tekstil",
        "pengelola kawasan ekonomi khusus",
        "dinas perindustrian setempat",
        "perusahaan jasa logistik nasional",
        "kalangan industri alas kaki",
        "badan perencanaan pembangunan",
        "himpunan pengusaha muda",
        "serikat pekerja pabrik",
    ],
    "market": [
        "Bursa Efek Indonesia",
        "manajer investasi lokal",
        "investor ritel muda",
        "perusahaan sekuritas milik negara",
        "emiten sektor tambang",
        "dana pensiun swasta",
        "emiten perbankan berkapitalisasi besar",
        "analis pasar modal",
        "perusahaan yang baru melantai di bursa",
        "pengelola reksa dana saham",
        "emiten barang konsumsi",
        "pialang berjangka komoditas",
        "emiten properti",
        "investor institusi asing",
        "lembaga kliring dan penjaminan",
    ],
    "finansial": [
        "Otoritas Jasa Keuangan",
        "bank sentral",
        "bank pembangunan daerah",
        "perusahaan pembiayaan kendaraan",
        "penyelenggara pinjaman daring",
        "perusahaan asuransi jiwa",
        "bank digital",
        "koperasi simpan pinjam",
        "lembaga penjamin simpanan",
        "bank swasta nasional",
        "perusahaan modal ventura",
        "perusahaan gadai",
        "perusahaan penjaminan kredit",
        "bank syariah",
        "penerbit uang elektronik",
    ],
    "teknologi": [
        "perusahaan rintisan pembayaran digital",
        "operator telekomunikasi",
        "pengembang aplikasi logistik",
        "produsen perangkat keras lokal",
        "penyedia layanan komputasi awan",
        "platform dagang daring",
        "perusahaan keamanan siber",
        "pengelola pusat data",
        "perusahaan rintisan teknologi pertanian",
        "produsen baterai kendaraan listrik",
        "Kementerian Komunikasi dan Digital",
        "perusahaan kecerdasan buatan",
        "pengembang gim lokal",
        "penyedia internet satelit",
        "inkubator bisnis kampus",
    ],
    "kabar-nasional": [
        "pemerintah kabupaten",
        "Kementerian Pekerjaan Umum",
        "Badan Urusan Logistik",
        "pengelola bandara",
        "operator kereta api",
        "badan meteorologi",
        "dinas pertanian",
        "kelompok tani",
        "pemerintah kota",
        "pengelola pelabuhan",
        "badan penanggulangan bencana daerah",
        "perusahaan listrik negara",
        "dinas pendidikan provinsi",
        "pengelola jalan tol",
        "Kementerian Kesehatan",
    ],
    "internasional": [
        "para menteri perdagangan Asia",
        "Dana Moneter Internasional",
        "Bank Sentral Eropa",
        "pemerintah Jepang",
        "Bank Dunia",
        "negara-negara pengekspor minyak",
        "otoritas pelabuhan Singapura",
        "Uni Eropa",
        "pemerintah Australia",
        "Bank Pembangunan Asia",
        "para pemimpin negara ASEAN",
        "pemerintah Korea Selatan",
        "Organisasi Perdagangan Dunia",
        "regulator keuangan Hong Kong",
        "pemerintah India",
    ],
    "bisnis-global": [
        "raksasa teknologi asal Amerika Serikat",
        "produsen cip asal Taiwan",
        "perusahaan pelayaran Denmark",
        "produsen mobil Jepang",
        "grup ritel asal Prancis",
        "perusahaan tambang Australia",
        "konglomerat Korea Selatan",
        "produsen obat asal Swiss",
        "maskapai penerbangan Timur Tengah",
        "perusahaan energi Norwegia",
        "dana investasi negara Singapura",
        "jaringan hotel internasional",
        "produsen panel surya China",
        "perusahaan minuman global",
        "perusahaan konsultan multinasional",
    ],
    "properti": [
        "pengembang perumahan",
        "asosiasi pengembang real estat",
        "pengelola pusat perbelanjaan",
        "perusahaan konstruksi milik negara",
        "pengembang kawasan industri",
        "agen properti",
        "bank penyalur kredit pemilikan rumah",
        "pengelola gedung perkantoran",
        "pengembang apartemen",
        "investor properti ritel",
        "pengembang kawasan berorientasi transit",
        "produsen bahan bangunan",
        "perusahaan pengelola hotel",
        "pengembang rumah subsidi",
        "pengelola gudang modern",
    ],
}

ACTIONS = [
    "mempercepat rencana yang sudah disusun sejak awal tahun",
    "meninjau ulang target yang dipasang untuk tahun ini",
    "menambah anggaran untuk riset dan pengembangan",
    "memilih menunda sebagian proyek baru",
    "menyiapkan skema insentif bagi mitra usahanya",
    "memperluas jangkauan layanan ke luar Jawa",
    "mengumumkan kerja sama dengan mitra dari luar negeri",
    "memangkas biaya operasional secara bertahap",
    "menggandakan kapasitas di wilayah timur",
    "membuka konsultasi publik untuk rancangan aturan baru",
    "mengajukan tambahan modal kepada pemegang saham",
    "menyusun peta jalan untuk lima tahun ke depan",
    "menaikkan proyeksi pendapatan tahunannya",
    "menurunkan proyeksi pertumbuhan untuk sisa tahun ini",
    "melatih ulang ribuan pegawai di lapangan",
    "merampingkan struktur organisasi",
    "mulai menggunakan sistem pelaporan digital",
    "mengalihkan sebagian pasokan ke pemasok dalam negeri",
    "menambah cadangan untuk menghadapi risiko gagal bayar",
    "membentuk tim khusus untuk memantau harga",
    "menandatangani nota kesepahaman dengan pemerintah daerah",
    "mengubah strategi pemasaran ke kanal daring",
    "menghentikan sementara penjualan produk lama",
    "meminta kepastian jadwal pembayaran",
    "mempersiapkan penerbitan obligasi berkelanjutan",
    "mengevaluasi seluruh kontrak jangka panjang",
    "membuka kantor perwakilan baru di Surabaya",
    "mendorong penggunaan energi terbarukan di seluruh fasilitasnya",
    "menunda kenaikan harga hingga kuartal berikutnya",
    "menambah armada untuk jalur distribusi utama",
    "mengkaji ulang kebutuhan tenaga kerja",
    "melaporkan lonjakan permintaan dari pelanggan korporasi",
    "menyiapkan layanan baru untuk pelaku usaha kecil",
    "memperketat seleksi calon mitra",
    "memusatkan investasi pada efisiensi energi",
    "mengajak pelaku usaha lain berbagi infrastruktur",
    "membukukan hasil yang melampaui perkiraan",
    "mencatat penurunan beban bunga",
    "meluncurkan program pelatihan bagi pemasok lokal",
    "menegaskan komitmen untuk menjaga harga tetap terjangkau",
]

OBSERVERS = [
    "Ekonom dari sebuah lembaga kajian di Jakarta menilai",
    "Seorang analis senior di perusahaan sekuritas menyebut",
    "Pengamat kebijakan publik mengingatkan bahwa",
    "Peneliti dari universitas negeri di Yogyakarta berpendapat",
    "Sejumlah pelaku usaha yang ditemui redaksi mengatakan",
    "Kalangan bankir melihat",
    "Konsultan bisnis yang mendampingi beberapa perusahaan menilai",
    "Mantan pejabat regulator menyebut",
    "Ketua asosiasi industri terkait menegaskan",
    "Analis dari lembaga pemeringkat menilai",
    "Pengajar ekonomi di sebuah sekolah bisnis menyebut",
    "Perwakilan lembaga konsumen mengingatkan bahwa",
    "Sumber di lingkungan pemerintah yang enggan disebut namanya mengatakan",
    "Para pedagang di pasar tradisional menilai",
    "Ekonom bank swasta memperkirakan",
    "Pengamat pasar modal berpendapat",
    "Seorang investor kawakan mengatakan",
    "Anggota komisi di parlemen menilai",
    "Peneliti lembaga riset independen mencatat",
    "Direktur sebuah lembaga advokasi konsumen menyebut",
    "Kepala riset di sebuah bank asing menilai",
    "Akademisi yang lama meneliti sektor ini berpendapat",
    "Pemilik usaha kecil di Bandung mengatakan",
    "Perencana keuangan independen mengingatkan bahwa",
]

ASSESSMENTS = [
    "langkah itu wajar mengingat permintaan belum sepenuhnya pulih",
    "keputusan tersebut datang sedikit terlambat tetapi masih relevan",
    "dampaknya baru akan terasa pada paruh kedua tahun depan",
    "risiko terbesar justru datang dari luar negeri",
    "kebijakan serupa pernah berhasil di beberapa negara tetangga",
    "kejelasan aturan lebih penting daripada besarnya insentif",
    "pelaku usaha kecil perlu dilibatkan sejak awal",
    "angka tersebut masih di bawah potensi yang sebenarnya",
    "tekanan biaya akan tetap tinggi setidaknya hingga akhir tahun",
    "pasar sudah lebih dulu memperhitungkan kabar itu",
    "momentum ini perlu dijaga dengan kebijakan yang konsisten",
    "konsumen akan lebih selektif dalam berbelanja",
    "persaingan harga bisa menggerus margin keuntungan",
    "pembiayaan jangka panjang masih menjadi hambatan utama",
    "kualitas data perlu diperbaiki sebelum target baru dipasang",
    "kenaikan itu lebih banyak didorong oleh faktor musiman",
    "investor asing masih menunggu sinyal yang lebih jelas",
    "daerah di luar Jawa punya peluang tumbuh lebih cepat",
    "efisiensi menjadi kunci bertahan di tengah ketidakpastian",
    "rencana itu realistis asalkan pendanaan tersedia tepat waktu",
    "pengawasan di lapangan harus diperkuat",
    "pelemahan ini bersifat sementara dan tidak perlu dikhawatirkan",
    "perubahan perilaku konsumen akan bertahan lama",
    "target tersebut terlalu ambisius untuk dicapai tahun ini",
    "sektor ini masih kekurangan tenaga kerja terampil",
    "ketergantungan pada bahan baku impor perlu dikurangi",
    "keterbukaan informasi akan menentukan kepercayaan investor",
    "pemulihan tidak merata antara kota besar dan daerah",
    "kenaikan suku bunga belum banyak memengaruhi permintaan kredit",
    "infrastruktur digital menjadi penentu daya saing ke depan",
    "langkah serupa sebaiknya diikuti oleh pelaku lain",
    "hasilnya baru bisa dinilai setelah satu siklus anggaran",
    "ruang untuk menaikkan harga semakin sempit",
    "koordinasi antarlembaga masih perlu dibenahi",
    "perlambatan global akan terasa lewat jalur perdagangan",
    "kepastian hukum menjadi pertimbangan utama pemodal",
    "permintaan dari generasi muda menjadi pendorong baru",
    "cadangan yang ada cukup untuk meredam gejolak jangka pendek",
    "harga di tingkat konsumen kemungkinan bertahan pada level sekarang",
    "kebijakan itu akan menguji ketahanan perusahaan menengah",
]

# Optional extras (seeded ``Random``): they add to a paragraph, never make it.
# ``{a}``..``{f}`` are small numbers drawn per paragraph.
FIGURES = [
    "Nilainya mencapai Rp{a},{b} triliun, naik {c},{b}% dibandingkan periode yang sama tahun lalu.",
    "Angka itu setara dengan pertumbuhan {c},{d}% secara tahunan.",
    "Pada periode yang sama tahun lalu, angkanya hanya {c},{d}%.",
    "Porsi segmen ini kini sekitar {e}% dari total pendapatan.",
    "Total dana yang disiapkan mencapai Rp{f} miliar.",
    "Jumlah pelanggan tercatat bertambah sekitar {f} ribu dalam sebulan.",
    "Realisasinya baru {e}% dari target yang ditetapkan.",
    "Kapasitas terpasang saat ini sekitar {f} ribu ton per tahun.",
    "Rata-rata waktu pengiriman turun menjadi {c} hari.",
    "Sebanyak {f} perusahaan tercatat ikut dalam program tersebut.",
    "Volume transaksi harian rata-rata naik menjadi Rp{a},{d} triliun.",
    "Biaya yang bisa dihemat diperkirakan mencapai Rp{f} miliar per tahun.",
    "Ekspor ke kawasan itu tumbuh {c},{d}% dalam lima bulan pertama.",
    "Tingkat keterisian fasilitas tersebut berada di kisaran {e}%.",
]
CLOSINGS = [
    "Rincian rencana tersebut belum diumumkan.",
    "Keputusan akhirnya diperkirakan keluar dalam beberapa pekan.",
    "Hal itu disampaikan dalam keterangan tertulis yang diterima redaksi.",
    "Pihak terkait belum menanggapi permintaan konfirmasi.",
    "Sebagian kalangan masih menunggu penjelasan yang lebih rinci.",
    "Perkembangan ini akan terus dipantau dalam beberapa bulan ke depan.",
    "Langkah tersebut disambut beragam oleh pelaku pasar.",
    "Tahap berikutnya bergantung pada hasil evaluasi internal.",
]

# --- Quotes ---------------------------------------------------------------------------

STANCES = [
    "Kami cukup optimistis",
    "Kami memilih berhati-hati",
    "Situasinya memang tidak mudah",
    "Kami tidak ingin terburu-buru",
    "Permintaan sebenarnya ada",
    "Kami sudah belajar dari tahun lalu",
    "Angka ini di luar dugaan kami",
    "Kami tidak menutup mata terhadap risikonya",
    "Kondisi di lapangan jauh lebih baik",
    "Kami mendengar masukan dari pelanggan",
    "Tantangannya tetap besar",
    "Ini baru langkah awal",
    "Kami ingin tumbuh dengan sehat",
    "Pasar sedang mencari arah",
    "Kami merasa perlu bergerak sekarang",
    "Hasilnya lebih cepat dari rencana",
    "Kami tetap realistis",
    "Semua opsi masih terbuka",
    "Kami punya fondasi yang kuat",
    "Tidak ada jalan pintas",
]
REASONS = [
    "karena pesanan dari pelanggan lama terus bertambah",
    "sebab biaya bahan baku belum turun",
    "karena pelanggan kini membandingkan harga dengan lebih teliti",
    "apalagi setelah jaringan distribusi kami diperbaiki",
    "karena pendanaan untuk tahap pertama sudah aman",
    "sebab aturan pelaksanaannya belum terbit",
    "terutama setelah permintaan ekspor melemah",
    "karena tim kami di daerah sudah siap",
    "sebab kami tidak ingin membebani konsumen",
    "karena kapasitas pabrik hampir penuh",
    "apalagi musim hujan datang lebih awal",
    "karena mitra kami di luar negeri juga menahan diri",
    "terutama di kota-kota menengah",
    "karena teknologi yang kami gunakan sudah teruji",
    "sebab sebagian besar utang kami berbunga tetap",
    "karena pasar domestik masih sangat besar",
    "apalagi persaingan datang dari pemain baru",
    "karena kami melihat perubahan cara orang berbelanja",
    "sebab rantai pasok belum sepenuhnya normal",
    "karena pemerintah daerah ikut mendukung",
    "terutama untuk produk dengan margin tinggi",
    "karena tenaga kerja terampil masih terbatas",
    "sebab nilai tukar bisa berubah sewaktu-waktu",
    "karena pelanggan korporasi memperpanjang kontrak",
    "apalagi data bulan lalu cukup menggembirakan",
    "karena stok di gudang masih mencukupi",
    "sebab investor menuntut laporan yang lebih rinci",
    "karena kami sudah mengurangi ketergantungan pada impor",
    "terutama setelah layanan digital kami diperbarui",
    "karena biaya logistik mulai turun",
]
PLANS = [
    "Kami akan menambah satu lini produksi",
    "Kami akan membuka lowongan untuk ratusan posisi baru",
    "Kami akan merampungkan uji coba",
    "Kami berencana masuk ke tiga provinsi baru",
    "Kami akan menyelesaikan renegosiasi kontrak",
    "Laporan lengkapnya akan kami sampaikan",
    "Kami menargetkan titik impas",
    "Kami akan meninjau kembali harga jual",
    "Gudang baru kami akan beroperasi",
    "Kami akan memperkenalkan layanan berlangganan",
    "Kami akan mengajukan izin perluasan",
    "Kami ingin melunasi sebagian pinjaman",
    "Kami akan menggelar pertemuan dengan seluruh pemasok",
    "Aplikasi versi baru akan kami luncurkan",
    "Kami akan menambah kantor cabang",
    "Kami akan mengganti seluruh armada lama",
    "Kami berharap mendapatkan mitra strategis",
    "Kami akan memperbarui sistem pembayaran",
    "Program pelatihan kami akan diperluas",
    "Kami akan menerbitkan laporan keberlanjutan pertama",
    "Kami akan memindahkan sebagian produksi ke Jawa Tengah",
    "Kami siap memangkas waktu pengiriman",
    "Kami akan mengumumkan pembagian dividen",
    "Kami akan menambah stok bahan baku",
    "Kami akan memperluas ekspor ke Afrika",
    "Kami akan menguji pasar dengan produk yang lebih murah",
    "Kami akan memperkuat tim riset",
    "Kami akan mengkaji akuisisi yang lebih kecil",
    "Kami akan menyesuaikan target penjualan",
    "Kami akan memulai pembangunan tahap kedua",
]
WHEN = [
    "sebelum akhir tahun",
    "pada kuartal ketiga",
    "paling lambat bulan depan",
    "dalam enam bulan ke depan",
    "setelah Lebaran",
    "pada awal tahun depan",
    "dalam dua pekan",
    "sebelum musim panen",
    "begitu izinnya terbit",
    "pada semester kedua",
    "dalam waktu dekat",
    "sebelum rapat pemegang saham berikutnya",
    "tahun depan",
    "dalam tiga tahun",
    "setelah uji coba selesai",
    "pada pertengahan tahun",
    "secara bertahap mulai bulan ini",
    "menjelang akhir kuartal",
    "dalam sembilan bulan",
    "sebelum tahun buku ditutup",
    "pada musim liburan nanti",
    "setelah audit rampung",
    "paling cepat kuartal depan",
    "dalam satu siklus anggaran",
]
FIRST_NAMES = [
    "Arif",
    "Dewanti",
    "Hadi",
    "Indah",
    "Joko",
    "Kurnia",
    "Lestari",
    "Mulyadi",
    "Nadia",
    "Oktavian",
    "Putu",
    "Ratna",
    "Sigit",
    "Taufik",
    "Wulan",
    "Yohanes",
]
LAST_NAMES = [
    "Setiawan",
    "Saragih",
    "Wicaksono",
    "Nasution",
    "Hutapea",
    "Lubis",
    "Permana",
    "Siregar",
    "Kusuma",
    "Pratama",
    "Wijaya",
    "Hakim",
    "Rahman",
    "Simanjuntak",
    "Utomo",
    "Halim",
]
POSITIONS = [
    "Direktur Utama",
    "Kepala Ekonom",
    "Direktur Keuangan",
    "Juru Bicara",
    "Ketua Umum",
    "Direktur Pemasaran",
    "Kepala Divisi Riset",
    "Direktur Operasional",
    "Sekretaris Perusahaan",
    "Kepala Perwakilan Wilayah",
    "Wakil Ketua",
    "Direktur Eksekutif",
]
AFFILIATIONS = [
    "sebuah produsen makanan olahan di Bekasi",
    "perusahaan logistik yang berbasis di Surabaya",
    "asosiasi pengusaha setempat",
    "sebuah bank swasta nasional",
    "sebuah perusahaan rintisan pembayaran digital",
    "lembaga kajian ekonomi di Jakarta",
    "sebuah pengembang perumahan di Tangerang",
    "koperasi petani kopi di Aceh",
    "perusahaan pelayaran antarpulau",
    "sebuah emiten ritel",
    "perusahaan tambang nikel di Sulawesi",
    "sebuah pabrik tekstil di Bandung",
    "perusahaan energi terbarukan",
    "jaringan apotek nasional",
    "sebuah maskapai penerbangan berbiaya hemat",
    "perusahaan agribisnis di Lampung",
]

# --- Sub-heads --------------------------------------------------------------------------

SUBHEAD_THEMES = [
    "Tantangan",
    "Peluang",
    "Dampak",
    "Langkah Lanjutan",
    "Catatan",
    "Tekanan",
    "Harapan",
    "Strategi",
    "Pekerjaan Rumah",
    "Arah Baru",
    "Ujian",
    "Ruang Gerak",
    "Hitungan",
    "Risiko",
    "Jalan Panjang",
    "Sinyal Positif",
]
SUBHEAD_SCOPES = [
    "bagi Eksportir",
    "di Daerah",
    "untuk Konsumen",
    "bagi Investor Ritel",
    "di Sektor Logistik",
    "bagi Pelaku UMKM",
    "di Pasar Modal",
    "untuk Perbankan",
    "bagi Pekerja",
    "di Kawasan Industri",
    "untuk Anggaran Negara",
    "bagi Pengembang",
    "di Tingkat Petani",
    "untuk Perusahaan Rintisan",
    "bagi Importir",
    "di Pasar Global",
    "untuk Semester Depan",
    "di Luar Jawa",
    "bagi Regulator",
    "di Kota Besar",
]

# --- Numbering --------------------------------------------------------------------------
# Pieces are joined into tables once, at import: a paragraph is then three
# lookups (circumstance, actor + action, observer + assessment), which keeps
# 100,000 articles' worth of text to a second or two.

ACTORS_PER_SECTION = 15  # every section's pool (a test holds them to it)
_DEEDS = {
    slug: [f"{actor} {action}" for actor in actors for action in ACTIONS]
    for slug, actors in ACTORS.items()
}
_VIEWS = [f"{observer} {view}." for observer in OBSERVERS for view in ASSESSMENTS]
_DEEDS_PER_SECTION = ACTORS_PER_SECTION * len(ACTIONS)
PARAGRAPH_SPACE = len(CIRCUMSTANCES) * _DEEDS_PER_SECTION * len(_VIEWS)
PARAGRAPH_SLOTS = 8  # paragraph numbers reserved per article (a body uses 6 to 8)
_CLAIMS = [f"{stance}, {reason}." for stance in STANCES for reason in REASONS]
_PROMISES = [f"{plan} {when}." for plan in PLANS for when in WHEN]
QUOTE_SPACE = len(_CLAIMS) * len(_PROMISES)
# Multipliers prime to the spaces (whose factors are 2, 3 and 5): the maps
# n -> (n * M + C) % SPACE are bijections that scatter neighbouring numbers.
_PARAGRAPH_M, _PARAGRAPH_C = 7_368_787, 1_234_567
_QUOTE_M, _QUOTE_C = 104_729, 31_337


def _figure_sentences() -> list[str]:
    """Each figure template with 32 sets of numbers (figures carry no identity)."""
    sentences = []
    for x in range(0, 32 * 7919, 7919):
        for template in FIGURES:
            sentences.append(
                template.format(
                    a=1 + x % 37,
                    b=x % 10,
                    c=1 + x % 19,
                    d=(x // 10) % 10,
                    e=12 + x % 71,
                    f=20 + x % 479,
                )
            )
    return sentences


_FIGURE_SENTENCES = _figure_sentences()


def _paragraph(n: int, deeds: list[str], extra: int) -> str:
    """Paragraph number ``n``: its pieces read off a bijection, plus optional extras.

    ``extra`` is 32 seeded random bits: a figure in 3 of 8 paragraphs, a
    closing line in 1 of 4. Extras only ever add a sentence after the pieces,
    so they cannot make two different numbers read the same.
    """
    code = (n * _PARAGRAPH_M + _PARAGRAPH_C) % PARAGRAPH_SPACE
    code, circumstance = divmod(code, len(CIRCUMSTANCES))
    view, deed = divmod(code, _DEEDS_PER_SECTION)
    text = f"{CIRCUMSTANCES[circumstance]}, {deeds[deed]}. {_VIEWS[view]}"
    if extra & 7 < 3:
        text += " " + _FIGURE_SENTENCES[(extra >> 8) % len(_FIGURE_SENTENCES)]
    if (extra >> 3) & 3 == 0:
        text += " " + CLOSINGS[(extra >> 5) & 7]
    return text


def _quote(index: int, bits: int) -> tuple[str, str]:
    """The article's pull quote (distinct per article) and, from ``bits``, who said it."""
    promise, claim = divmod((index * _QUOTE_M + _QUOTE_C) % QUOTE_SPACE, len(_CLAIMS))
    speaker = (
        f"{FIRST_NAMES[bits & 15]} {LAST_NAMES[(bits >> 4) & 15]}, "
        f"{POSITIONS[(bits >> 8) % len(POSITIONS)]} {AFFILIATIONS[(bits >> 12) & 15]}"
    )
    return f"{_CLAIMS[claim]} {_PROMISES[promise]}", speaker


def _subheads(bits: int) -> tuple[str, str]:
    """Two sub-heads with different themes."""
    first, second = bits & 15, (bits & 15) + 1 + (bits >> 4) % 15
    scopes = len(SUBHEAD_SCOPES)
    return (
        f"{SUBHEAD_THEMES[first]} {SUBHEAD_SCOPES[(bits >> 8) % scopes]}",
        f"{SUBHEAD_THEMES[second % 16]} {SUBHEAD_SCOPES[(bits >> 16) % scopes]}",
    )


def article_dek(rng: random.Random, section_slug: str) -> str:
    """A one-sentence summary in the demo's voice (not unique: it is not body text)."""
    bits = rng.getrandbits(24)
    deed = _DEEDS[section_slug][bits % _DEEDS_PER_SECTION]
    circumstance = CIRCUMSTANCES[(bits >> 12) % len(CIRCUMSTANCES)]
    return f"{deed[0].upper()}{deed[1:]} {circumstance[0].lower()}{circumstance[1:]}."


def article_body(*, index: int, section_slug: str, rng: random.Random, photo_ids: list) -> str:
    """The HTML body of demo article ``index``: a two-paragraph teaser, a third
    paragraph, a sub-head, a pull quote with attribution, more paragraphs around
    an inline photo and, in longer stories, a second sub-head (6 to 8 paragraphs).

    The same ``index`` and ``rng`` state give the same body.
    """
    deeds = _DEEDS[section_slug]
    first = index * PARAGRAPH_SLOTS
    bits = rng.getrandbits(32 * PARAGRAPH_SLOTS + 64)  # one draw: cheaper than many
    shape = bits >> (32 * PARAGRAPH_SLOTS)
    count = 6 + shape % 3
    paragraphs = [
        f"<p>{_paragraph(first + slot, deeds, (bits >> (32 * slot)) & 0xFFFFFFFF)}</p>"
        for slot in range(count)
    ]
    quote, speaker = _quote(index, shape >> 8)
    subhead, second_subhead = _subheads(shape >> 32)
    photo_id = photo_ids[(shape >> 24) % len(photo_ids)]
    blocks = [*paragraphs[:3], f"<h2>{subhead}</h2>"]
    blocks.append(f"<blockquote><p>“{quote}”</p><footer>— {speaker}</footer></blockquote>")
    blocks += [paragraphs[3], f'<figure data-photo-id="{photo_id}"></figure>', paragraphs[4]]
    if count > 6:
        blocks.append(f"<h2>{second_subhead}</h2>")
    blocks += paragraphs[5:]
    return "\n".join(blocks)
